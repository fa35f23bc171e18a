import { useEffect, useRef } from 'react';
import { useAttendeesStore } from './attendeesStore';

/** The QR an organizer can show or print for a walk-in; the token text is what a scanner would type. */
export function TicketDialog() {
  const ticket = useAttendeesStore((state) => state.ticket);
  const close = useAttendeesStore((state) => state.closeTicket);
  const dialogRef = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    const dialog = dialogRef.current;
    if (!dialog) return;
    if (ticket && !dialog.open) dialog.showModal();
    if (!ticket && dialog.open) dialog.close();
  }, [ticket]);

  return (
    <dialog ref={dialogRef} className="ticket-dialog" aria-labelledby="ticket-title" onClose={close}>
      {ticket ? (
        <>
          <h2 id="ticket-title">Ticket</h2>
          {ticket.revoked ? (
            <p className="notice notice-error">This booking is cancelled; the ticket no longer admits.</p>
          ) : null}
          <img
            className="ticket-qr"
            alt="Ticket QR code"
            src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(ticket.qrSvg)}`}
          />
          <label>
            Ticket code
            <textarea readOnly rows={3} value={ticket.token} data-testid="ticket-token" />
          </label>
          <button type="button" className="button-primary" onClick={close} autoFocus>
            Close
          </button>
        </>
      ) : null}
    </dialog>
  );
}
