import { routes } from '@gatehouse/protocol';
import type { RpcHandlers } from '../types';

export const bookingHandlers: RpcHandlers<'bookings.list' | 'bookings.walkIn' | 'bookings.cancel' | 'bookings.ticket'> =
  {
    'bookings.list': (core, params) => core.requireAccount().bookings.list(params),
    'bookings.walkIn': (core, params) => core.walkIn(params),
    'bookings.cancel': (core, { bookingId }) => core.cancelBooking(bookingId),
    'bookings.ticket': async (core, { bookingId }) => {
      const ticket = await core.requireServer().api.call(routes['bookings.ticket'], { params: { id: bookingId } });
      return { token: ticket.token, qrSvg: ticket.qrSvg, revoked: ticket.revoked };
    },
  };
