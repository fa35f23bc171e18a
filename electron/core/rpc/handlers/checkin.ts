import type { RpcHandlers } from '../types';

export const checkinHandlers: RpcHandlers<'checkin.scan' | 'checkin.manual' | 'checkin.search' | 'checkin.recent'> = {
  'checkin.scan': (core, params) => core.requireRole('staff').scanner.scan(params),
  'checkin.manual': (core, params) => core.requireRole('staff').scanner.manual(params),
  'checkin.search': (core, params) => core.requireAccount().bookings.find(params),
  'checkin.recent': (core, params) => core.requireAccount().store.recentCheckins(params),
};
