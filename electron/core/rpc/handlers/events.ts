import { GatehouseError, routes } from '@gatehouse/protocol';
import type { RpcHandlers } from '../types';

export const eventHandlers: RpcHandlers<
  | 'events.list'
  | 'events.get'
  | 'events.create'
  | 'events.update'
  | 'events.setStaff'
  | 'events.staff'
  | 'events.counters'
> = {
  'events.list': (core, { q }) => core.requireAccount().events.list(q),
  'events.get': (core, { eventId }) => {
    const event = core.requireAccount().events.get(eventId);
    if (!event) throw new GatehouseError('NOT_FOUND', 'No such event on this device');
    return event;
  },
  // Creating an event needs the server (it makes the event's ticket keys); the new bucket syncs in after.
  'events.create': async (core, { event }) => {
    const account = core.requireServer();
    const created = await account.api.call(routes['events.create'], { body: event });
    await account.engine.syncNow().catch(() => undefined);
    return created;
  },
  'events.update': (core, { eventId, patch }) => core.updateEvent(eventId, patch),
  'events.setStaff': async (core, { eventId, staffIds }) => {
    const account = core.requireServer();
    const updated = await account.api.call(routes['events.staff.set'], { params: { id: eventId }, body: { staffIds } });
    await account.engine.syncNow().catch(() => undefined);
    return updated;
  },
  'events.staff': (core, { eventId, q }) =>
    core.requireServer().api.call(routes['events.staff.list'], { params: { id: eventId }, query: { q } }),
  'events.counters': (core, { eventId, gate }) => core.requireAccount().events.counters(eventId, gate),
};
