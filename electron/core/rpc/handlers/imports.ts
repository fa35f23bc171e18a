import { GatehouseError } from '@gatehouse/protocol';
import { previewImport } from '../../imports/preview';
import { ImportUploads } from '../../imports/uploads';
import type { RpcHandlers } from '../types';

/** Imports in flight, by id (random UUIDs: several cores in one process never meet). */
const uploads = new ImportUploads();

const bytesOf = (base64: string) => new Uint8Array(Buffer.from(base64, 'base64'));

/** CSV import of attendees (protocol imports.ts): a local preview, then a streamed upload to the server. */
export const importHandlers: RpcHandlers<
  'imports.preview' | 'imports.start' | 'imports.chunk' | 'imports.finish' | 'imports.progress' | 'imports.cancel'
> = {
  'imports.preview': ({ account }, { eventId, head, complete, encoding, preset, mapping }) => {
    const event = account().events.get(eventId);
    if (!event) throw new GatehouseError('NOT_FOUND', 'Event not found on this device');
    return previewImport(bytesOf(head), { complete, encoding, preset, mapping, event });
  },
  'imports.start': async ({ account }, params) => ({
    importId: await uploads.start(account().online().api, params),
  }),
  'imports.chunk': async (_scope, { importId, bytes }) => ({ sent: await uploads.chunk(importId, bytesOf(bytes)) }),
  'imports.finish': (_scope, { importId }) => uploads.finish(importId),
  'imports.progress': async (_scope, { importId }) => ({ progress: await uploads.progress(importId) }),
  'imports.cancel': (_scope, { importId }) => {
    uploads.cancel(importId);
    return { ok: true as const };
  },
};
