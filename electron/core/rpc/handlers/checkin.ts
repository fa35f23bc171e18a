import { undoAdmission } from '../../checkins/commands';
import type { RpcHandlers } from '../types';

export const checkinHandlers: RpcHandlers<
  | 'checkin.scan'
  | 'checkin.manual'
  | 'checkin.photo'
  | 'checkin.undo'
  | 'checkin.refusals'
  | 'checkin.search'
  | 'checkin.recent'
> = {
  'checkin.scan': ({ account }, params) => account().withRole('staff').scanner.scan(params),
  'checkin.manual': ({ account }, params) => account().withRole('staff').scanner.manual(params),
  'checkin.photo': ({ account }, { bookingId }) => {
    const photo = account().withRole('staff').store.photos.bytesFor(bookingId);
    return photo
      ? {
          photoId: photo.photoId,
          contentType: photo.contentType,
          dataUrl: `data:${photo.contentType};base64,${photo.bytes.toString('base64')}`,
        }
      : null;
  },
  'checkin.undo': ({ account }, params) => undoAdmission(account(), params),
  'checkin.refusals': ({ account }, params) => account().withRole('staff').checkins.refusals(params),
  'checkin.search': ({ account }, params) => account().bookings.find(params),
  'checkin.recent': ({ account }, params) => account().checkins.recent(params),
};
