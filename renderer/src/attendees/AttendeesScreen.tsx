import { useEffect } from 'react';
import { onDataChanged } from '../rpc/dataChanged';
import { EmptyState } from '../ui/EmptyState';
import { ErrorNotice } from '../ui/ErrorNotice';
import { EventPicker, useCurrentEvent } from '../ui/EventPicker';
import { AttendeeTable } from './AttendeeTable';
import { useAttendeesStore } from './attendeesStore';
import { TicketDialog } from './TicketDialog';
import { WalkInForm } from './WalkInForm';

export function AttendeesScreen() {
  const event = useCurrentEvent();
  const { open, refresh, query, setQuery, total, error, clearError } = useAttendeesStore();

  useEffect(() => {
    if (!event) return;
    open(event.id);
    return onDataChanged(event.id, refresh);
  }, [event?.id, open, refresh]);

  return (
    <section className="screen screen-fill" aria-labelledby="attendees-title">
      <header className="screen-header">
        <h1 id="attendees-title">Attendees</h1>
        <EventPicker />
      </header>
      {!event ? (
        <EmptyState title="Choose an event to see its attendees." />
      ) : (
        <>
          <div className="attendees-top">
            <div className="toolbar">
              <input
                type="search"
                aria-label="Search attendees by name, email or code"
                placeholder="Search name, email or code"
                value={query}
                onChange={(e) => setQuery(e.target.value)}
              />
              <p className="count" aria-live="polite">
                {total.toLocaleString()} {total === 1 ? 'booking' : 'bookings'}
                {query ? ' match' : ''}
              </p>
            </div>
            {/* Keyed by event: a ticket type chosen for one event is never sent for another. */}
            <WalkInForm key={event.id} event={event} />
          </div>
          <ErrorNotice error={error} onDismiss={clearError} />
          <AttendeeTable timezone={event.timezone} />
          <TicketDialog event={event} />
        </>
      )}
    </section>
  );
}
