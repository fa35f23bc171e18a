import type { Event } from '@gatehouse/protocol';
import { useState } from 'react';
import { useNavigationStore } from '../shell/navigationStore';
import { EmptyState } from '../ui/EmptyState';
import { ErrorNotice } from '../ui/ErrorNotice';
import { formatEventRange, zoneLabel } from '../ui/format';
import { EventEditor } from './EventEditor';
import { EventStaffPanel } from './EventStaffPanel';
import { useEventsStore } from './eventsStore';

type Editing = { mode: 'create' } | { mode: 'edit'; event: Event } | { mode: 'staff'; event: Event } | null;

export function EventsScreen() {
  const { events, query, loaded, error, setQuery, clearError } = useEventsStore();
  const [editing, setEditing] = useState<Editing>(null);
  const chooseEvent = useNavigationStore((state) => state.chooseEvent);
  const go = useNavigationStore((state) => state.go);

  if (editing?.mode === 'staff') return <EventStaffPanel event={editing.event} onDone={() => setEditing(null)} />;
  if (editing) {
    return (
      <EventEditor
        event={editing.mode === 'edit' ? editing.event : null}
        onDone={(saved) => {
          setEditing(null);
          if (saved) chooseEvent(saved.id);
        }}
      />
    );
  }

  return (
    <section aria-labelledby="events-title" className="screen">
      <header className="screen-header">
        <h1 id="events-title">Events</h1>
        <div className="toolbar">
          <input
            type="search"
            aria-label="Search events"
            placeholder="Search events"
            value={query}
            onChange={(event) => setQuery(event.target.value)}
          />
          <button type="button" className="button-primary" onClick={() => setEditing({ mode: 'create' })}>
            New event
          </button>
        </div>
      </header>
      <ErrorNotice error={error} onDismiss={clearError} />
      {loaded && events.length === 0 ? (
        <EmptyState title={query ? 'No events match your search.' : 'No events yet.'}>
          {query ? null : <p>Create one with “New event”. Events you are assigned to appear here after sync.</p>}
        </EmptyState>
      ) : (
        <table className="data-table events-table">
          <thead>
            <tr>
              <th scope="col">Event</th>
              <th scope="col">When</th>
              <th scope="col">Venue</th>
              <th scope="col">Status</th>
              <th scope="col" className="numeric">
                Booked
              </th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {events.map((event) => (
              <tr key={event.id}>
                <td className="truncate" title={event.title}>
                  {event.title}
                </td>
                <td>
                  {formatEventRange(event.startsAt, event.endsAt, event.timezone)}
                  <span className="cell-hint">{zoneLabel(event.timezone)} time</span>
                </td>
                <td className="truncate" title={event.venue}>
                  {event.venue}
                </td>
                <td>
                  <span className={`status status-${event.status}`}>{event.status}</span>
                </td>
                <td className="numeric">
                  {event.bookedCount.toLocaleString()} / {event.capacity.toLocaleString()}
                </td>
                <td>
                  <div className="row-actions">
                    <button
                      type="button"
                      className="button-small"
                      aria-label={`Edit ${event.title}`}
                      onClick={() => setEditing({ mode: 'edit', event })}
                    >
                      Edit
                    </button>
                    <button
                      type="button"
                      className="button-small"
                      aria-label={`Staff of ${event.title}`}
                      onClick={() => setEditing({ mode: 'staff', event })}
                    >
                      Staff
                    </button>
                    <button
                      type="button"
                      className="button-small"
                      aria-label={`Attendees of ${event.title}`}
                      onClick={() => {
                        chooseEvent(event.id);
                        go('attendees');
                      }}
                    >
                      Attendees
                    </button>
                    <button
                      type="button"
                      className="button-small"
                      aria-label={`Check in for ${event.title}`}
                      onClick={() => {
                        chooseEvent(event.id);
                        go('checkin');
                      }}
                    >
                      Check-in
                    </button>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
