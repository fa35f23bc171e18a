import { hasRoleAtLeast, TICKET_WINDOW_GRACE_SECONDS, type Event } from '@gatehouse/protocol';
import { useId } from 'react';
import { useEventsStore } from '../events/eventsStore';
import { useSessionStore } from '../session/sessionStore';
import { useNavigationStore } from '../shell/navigationStore';

/**
 * Whether an event is one a door can still work: not cancelled, and not over (its end plus the
 * door's grace, protocol's TICKET_WINDOW_GRACE_SECONDS). Organizers and admins see every event;
 * staff only these, so a steward never picks last month's concert by mistake.
 */
export function atTheDoorNow(event: Event, now = Date.now()): boolean {
  if (event.status === 'cancelled') return false;
  return Date.parse(event.endsAt) + TICKET_WINDOW_GRACE_SECONDS * 1000 >= now;
}

/** The events the signed-in person picks among: all for organizers and admins, current ones for staff. */
function usePickableEvents(): Event[] {
  const events = useEventsStore((state) => state.events);
  const role = useSessionStore((state) => state.session?.user?.role);
  if (role && hasRoleAtLeast(role, 'organizer')) return events;
  return events.filter((event) => atTheDoorNow(event));
}

/** The event an attendee list or check-in screen works on; picking it here keeps both screens in step. */
export function EventPicker() {
  const id = useId();
  const events = usePickableEvents();
  const current = useCurrentEvent();
  const chooseEvent = useNavigationStore((state) => state.chooseEvent);
  return (
    <div className="event-picker">
      <label htmlFor={id}>Event</label>
      <select id={id} value={current?.id ?? ''} onChange={(event) => chooseEvent(event.target.value || null)}>
        <option value="">{events.length ? 'Choose an event…' : 'No events on this device yet'}</option>
        {events.map((event) => (
          <option key={event.id} value={event.id}>
            {event.title}
          </option>
        ))}
      </select>
    </div>
  );
}

/** Uses the chosen event, or the only one there is, so staff with one assignment never have to pick. */
export function useCurrentEvent() {
  const events = usePickableEvents();
  const eventId = useNavigationStore((state) => state.eventId);
  const chosen = events.find((event) => event.id === eventId);
  if (chosen) return chosen;
  return events.length === 1 ? events[0]! : null;
}
