import { GatehouseError, IMAGE_MAX_INPUT_BYTES, type PhotoData, routes } from '@gatehouse/protocol';
import type { Account } from '../../account';
import type { FetchedBytes } from '../../api/client';
import type { RpcHandlers } from '../types';

/**
 * Profile and attendee photos (protocol/src/images.ts): online only, through the sync server —
 * OFFLINE when it cannot be reached. Bytes come from the renderer as base64 (RPC frames are JSON)
 * and go to the server as they are; the server reads their real type and re-encodes them. After a
 * change the core pulls, so the local booking or profile row names the new photo at once.
 */

/** The upload's bytes, refused here already when empty or over the server's limit (same codes). */
function decode(dataBase64: string): Uint8Array {
  const bytes = Buffer.from(dataBase64, 'base64');
  if (bytes.byteLength === 0) throw new GatehouseError('IMAGE_EMPTY', 'The image is empty (0 bytes)');
  if (bytes.byteLength > IMAGE_MAX_INPUT_BYTES) {
    throw new GatehouseError('IMAGE_TOO_LARGE', `The image is larger than ${IMAGE_MAX_INPUT_BYTES / (1024 * 1024)} MB`);
  }
  return bytes;
}

/** A fetched photo as the renderer shows it: a data URL (the renderer loads nothing from the network). */
function toPhotoData(fetched: FetchedBytes | null): PhotoData {
  if (!fetched || fetched.notModified) return null;
  const photoId = fetched.etag.replace(/^W\//, '').replaceAll('"', '');
  const dataUrl = `data:${fetched.contentType};base64,${Buffer.from(fetched.bytes).toString('base64')}`;
  return { photoId, contentType: fetched.contentType, dataUrl };
}

function pullSoon(account: Account): void {
  account.engine.requestPull();
}

export const photoHandlers: RpcHandlers<
  | 'photos.setMine'
  | 'photos.removeMine'
  | 'photos.mine'
  | 'photos.setBooking'
  | 'photos.removeBooking'
  | 'photos.booking'
> = {
  'photos.setMine': async ({ account }, { contentType, dataBase64 }) => {
    const open = account().online();
    const photo = await open.api.sendBytes(routes['photos.putMine'], {}, decode(dataBase64), contentType);
    pullSoon(open);
    return photo;
  },
  'photos.removeMine': async ({ account }) => {
    const open = account().online();
    await open.api.call(routes['photos.deleteMine'], {});
    pullSoon(open);
    return { ok: true as const };
  },
  'photos.mine': async ({ account }) => {
    const open = account().online();
    return toPhotoData(await open.api.fetchBytes(routes['photos.user'], { params: { id: open.user.id } }));
  },
  'photos.setBooking': async ({ account }, { bookingId, contentType, dataBase64 }) => {
    const open = account().online();
    const photo = await open.api.sendBytes(
      routes['photos.putBooking'],
      { params: { id: bookingId } },
      decode(dataBase64),
      contentType,
    );
    pullSoon(open);
    return photo;
  },
  'photos.removeBooking': async ({ account }, { bookingId }) => {
    const open = account().online();
    await open.api.call(routes['photos.deleteBooking'], { params: { id: bookingId } });
    pullSoon(open);
    return { ok: true as const };
  },
  'photos.booking': async ({ account }, { bookingId }) =>
    toPhotoData(
      await account()
        .online()
        .api.fetchBytes(routes['photos.booking'], { params: { id: bookingId } }),
    ),
};
