import { hasRoleAtLeast, mayAddWalkIn } from '@gatehouse/protocol';
import { useEffect } from 'react';
import { onDataChanged } from '../rpc/dataChanged';
import { useSessionStore } from '../session/sessionStore';
import { EmptyState } from '../ui/EmptyState';
import { ErrorNotice } from '../ui/ErrorNotice';
import { EventPicker, useCurrentEvent } from '../ui/EventPicker';
import { AttendeeTable } from './AttendeeTable';
import { ImportDialog } from './ImportDialog';
import { PhotoImportDialog } from './PhotoImportDialog';
import { useAttendeesStore } from './attendeesStore';
import { TicketDialog } from './TicketDialog';
import { WalkInForm } from './WalkInForm';

/**
 * An event's attendees: search, tickets, CSV exports and erasure of an attendee's personal data
 * (organizers and admins; both need the server, and say so offline), and — for organizers and admins, and for check-in staff
 * where the event allows them (protocol's mayAddWalkIn, the rule the server applies) — walk-ins.
 * Only organizers and admins cancel bookings.
 */
export function AttendeesScreen() {
  const event = useCurrentEvent();
  const { open, refresh, query, setQuery, total, error, clearError, exporting, saved, saveExport } =
    useAttendeesStore();
  const user = useSessionStore((state) => state.session?.user ?? null);
  const walkInsHere = Boolean(user && event && mayAddWalkIn(user, event));
  const mayCancel = Boolean(user && hasRoleAtLeast(user.role, 'organizer'));
  // The server's rule for imports (events' assertCanManage): the event's organizer or an admin.
  const mayImport = Boolean(
    user && event && (user.role === 'admin' || (user.role === 'organizer' && event.organizerId === user.id)),
  );

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
              {mayImport ? <ImportDialog key={`import-${event.id}`} event={event} /> : null}
              {mayImport ? <PhotoImportDialog key={`photos-${event.id}`} event={event} /> : null}
            </div>
            {mayCancel ? (
              <div className="toolbar" role="group" aria-label="Export">
                <span>Export (CSV):</span>
                <button
                  type="button"
                  className="button-small"
                  disabled={exporting !== null}
                  onClick={() => void saveExport('attendees', event.title)}
                >
                  {exporting === 'attendees' ? 'Exporting…' : 'Attendees'}
                </button>
                <button
                  type="button"
                  className="button-small"
                  disabled={exporting !== null}
                  onClick={() => void saveExport('checkins', event.title)}
                >
                  {exporting === 'checkins' ? 'Exporting…' : 'Check-in log'}
                </button>
              </div>
            ) : null}
            {saved ? (
              <p className="notice" role="status" data-testid="export-saved">
                {saved.kind === 'attendees' ? 'Attendees' : 'Check-in log'} saved to{' '}
                <span className="mono">{saved.path}</span>
              </p>
            ) : null}
            {/* Keyed by event: a ticket type chosen for one event is never sent for another. */}
            {walkInsHere ? <WalkInForm key={event.id} event={event} /> : null}
          </div>
          <ErrorNotice error={error} onDismiss={clearError} />
          <AttendeeTable timezone={event.timezone} mayCancel={mayCancel} mayAddWalkIn={walkInsHere} />
          <TicketDialog event={event} />
        </>
      )}
    </section>
  );
}
