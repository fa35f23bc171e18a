import { useId } from 'react';
import { useEventsStore } from '../events/eventsStore';
import { useNavigationStore } from '../shell/navigationStore';

/** The event an attendee list or check-in screen works on; picking it here keeps both screens in step. */
export function EventPicker() {
  const id = useId();
  const events = useEventsStore((state) => state.events);
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
  const events = useEventsStore((state) => state.events);
  const eventId = useNavigationStore((state) => state.eventId);
  const chosen = events.find((event) => event.id === eventId);
  if (chosen) return chosen;
  return events.length === 1 ? events[0]! : null;
}
