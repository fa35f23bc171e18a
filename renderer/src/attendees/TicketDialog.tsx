import type { Event } from '@gatehouse/protocol';
import { PhotoField } from '../photos/PhotoField';
import { useSessionStore } from '../session/sessionStore';
import { formatDateTime, zoneLabel } from '../ui/format';
import { useModalDialog } from '../ui/useModalDialog';
import { useAttendeesStore } from './attendeesStore';

/**
 * A ticket as its holder would carry it: name, event, date, ticket type, the QR and the short code
 * under it (what the steward types when the QR will not read). "Print badge" prints the badge alone
 * (styles.css, @media print) through the system print dialog, sized for an A6 or label printer.
 */
export function TicketDialog({ event }: { event: Event }) {
  const ticket = useAttendeesStore((state) => state.ticket);
  const close = useAttendeesStore((state) => state.closeTicket);
  const dialogRef = useModalDialog(Boolean(ticket));
  const user = useSessionStore((state) => state.session?.user ?? null);
  // The event's organizer and admins change attendee photos; the server refuses anyone else.
  const canEditPhoto = user !== null && (user.role === 'admin' || user.id === event.organizerId);
  const requiresPhoto = event.ticketTypes.some(
    (type) => type.requiresPhoto === true && type.name === ticket?.holder?.ticketTypeName,
  );

  return (
    <dialog ref={dialogRef} className="ticket-dialog" aria-labelledby="ticket-title" onClose={close}>
      {ticket ? (
        <>
          <h2 id="ticket-title">Ticket{ticket.holder ? ` for ${ticket.holder.name}` : ''}</h2>
          {ticket.revoked ? (
            <p className="notice notice-error">This booking is cancelled; the ticket no longer admits.</p>
          ) : null}
          <div className="ticket-badge" data-testid="ticket-badge">
            {ticket.holder ? <p className="badge-name">{ticket.holder.name}</p> : null}
            <p className="badge-event">{event.title}</p>
            <p className="badge-when">
              {formatDateTime(event.startsAt, event.timezone)} ({zoneLabel(event.timezone)}) · {event.venue}
            </p>
            {ticket.holder ? <p className="badge-type">{ticket.holder.ticketTypeName}</p> : null}
            <img
              className="ticket-qr"
              alt="Ticket QR code"
              src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(ticket.qrSvg)}`}
            />
            {ticket.holder ? <p className="badge-code mono">{ticket.holder.code}</p> : null}
          </div>
          <section className="ticket-photo" aria-labelledby="ticket-photo-title">
            <h3 id="ticket-photo-title">Attendee photo{requiresPhoto ? ' (this ticket type requires one)' : ''}</h3>
            <PhotoField
              target={{ kind: 'booking', bookingId: ticket.bookingId }}
              label={`Photo of ${ticket.holder?.name ?? 'the attendee'}`}
              canEdit={canEditPhoto}
            />
          </section>
          <details>
            <summary>Ticket code for a scanner</summary>
            <textarea readOnly rows={3} value={ticket.token} data-testid="ticket-token" aria-label="Ticket code" />
          </details>
          <div className="form-actions">
            <button type="button" className="button-secondary" onClick={() => window.print()}>
              Print badge
            </button>
            <button type="button" className="button-primary" onClick={close} autoFocus>
              Close
            </button>
          </div>
        </>
      ) : null}
    </dialog>
  );
}
