import { undoAdmission } from '../../checkins/commands';
import type { RpcHandlers } from '../types';

export const checkinHandlers: RpcHandlers<
  'checkin.scan' | 'checkin.manual' | 'checkin.undo' | 'checkin.refusals' | 'checkin.search' | 'checkin.recent'
> = {
  'checkin.scan': ({ account }, params) => account().withRole('staff').scanner.scan(params),
  'checkin.manual': ({ account }, params) => account().withRole('staff').scanner.manual(params),
  'checkin.undo': ({ account }, params) => undoAdmission(account(), params),
  'checkin.refusals': ({ account }, params) => account().withRole('staff').checkins.refusals(params),
  'checkin.search': ({ account }, params) => account().bookings.find(params),
  'checkin.recent': ({ account }, params) => account().checkins.recent(params),
};
