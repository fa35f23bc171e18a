import { routes } from '@gatehouse/protocol';
import { cancelBooking, eraseBooking, walkIn } from '../../bookings/commands';
import type { RpcHandlers } from '../types';

export const bookingHandlers: RpcHandlers<
  'bookings.list' | 'bookings.walkIn' | 'bookings.cancel' | 'bookings.ticket' | 'bookings.erase'
> = {
  'bookings.list': ({ account }, params) => account().bookings.list(params),
  'bookings.walkIn': ({ account }, params) => walkIn(account(), params),
  'bookings.cancel': ({ account }, { bookingId }) => cancelBooking(account(), bookingId),
  'bookings.erase': ({ account }, { bookingId }) => eraseBooking(account(), bookingId),
  'bookings.ticket': async ({ account }, { bookingId }) => {
    const ticket = await account()
      .online()
      .api.call(routes['bookings.ticket'], { params: { id: bookingId } });
    return { token: ticket.token, qrSvg: ticket.qrSvg, revoked: ticket.revoked };
  },
};
