import { GatehouseError, routes } from '@gatehouse/protocol';
import { updateEvent } from '../../events/commands';
import type { RpcHandlers } from '../types';

export const eventHandlers: RpcHandlers<
  | 'events.list'
  | 'events.get'
  | 'events.create'
  | 'events.update'
  | 'events.setStaff'
  | 'events.staff'
  | 'events.counters'
  | 'events.stats'
> = {
  'events.list': ({ account }, { q }) => account().events.list(q),
  'events.get': ({ account }, { eventId }) => {
    const event = account().events.get(eventId);
    if (!event) throw new GatehouseError('NOT_FOUND', 'No such event on this device');
    return event;
  },
  // Creating an event needs the server (it makes the event's ticket keys); the new bucket syncs in after.
  'events.create': async ({ account }, { event }) => {
    const online = account().online();
    const created = await online.api.call(routes['events.create'], { body: event });
    await online.engine.syncNow().catch(() => undefined);
    return created;
  },
  'events.update': ({ account }, { eventId, patch }) => updateEvent(account(), eventId, patch),
  'events.setStaff': async ({ account }, { eventId, staffIds }) => {
    const online = account().online();
    const updated = await online.api.call(routes['events.staff.set'], { params: { id: eventId }, body: { staffIds } });
    await online.engine.syncNow().catch(() => undefined);
    return updated;
  },
  'events.staff': ({ account }, { eventId, q }) =>
    account()
      .online()
      .api.call(routes['events.staff.list'], { params: { id: eventId }, query: { q } }),
  'events.counters': ({ account }, { eventId, gate }) => account().events.counters(eventId, gate),
  'events.stats': ({ account }, { eventId }) =>
    account()
      .online()
      .api.call(routes['events.stats'], { params: { id: eventId } }),
};
