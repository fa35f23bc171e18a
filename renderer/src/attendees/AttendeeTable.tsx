import type { BookingRow } from '@gatehouse/protocol';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef } from 'react';
import { EmptyState } from '../ui/EmptyState';
import { formatDateTime } from '../ui/format';
import { rowAt, useAttendeesStore } from './attendeesStore';

const ROW_HEIGHT = 44;

/**
 * 100,000 rows: only the ~20 on screen exist in the DOM, and only the pages around them are fetched
 * from core. ARIA row indexes tell assistive tech where in the full list a row sits. `mayCancel`
 * shows each row's Cancel (organizers and admins: the device and server refuse staff's);
 * `mayAddWalkIn` says whether the empty list points to the walk-in form.
 */
export function AttendeeTable({
  timezone,
  mayCancel,
  mayAddWalkIn,
}: {
  timezone: string;
  mayCancel: boolean;
  mayAddWalkIn: boolean;
}) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const { total, pages, ensureRange, loadedOnce, query } = useAttendeesStore();
  const virtualizer = useVirtualizer({
    count: total,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  const items = virtualizer.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? 0;

  useEffect(() => {
    if (total > 0) ensureRange(first, last);
  }, [first, last, total, pages, ensureRange]);

  if (loadedOnce && total === 0) {
    return (
      <EmptyState title={query ? 'Nobody matches that search.' : 'No bookings yet.'}>
        {query ? (
          <p>Try part of the name, the email or the ticket code.</p>
        ) : mayAddWalkIn ? (
          <p>Add a walk-in above.</p>
        ) : null}
      </EmptyState>
    );
  }

  return (
    <div className="virtual-table" role="table" aria-label="Attendees" aria-rowcount={total + 1}>
      <div role="rowgroup">
        <div className="vt-row vt-head" role="row" aria-rowindex={1}>
          <span role="columnheader">Name</span>
          <span role="columnheader">Email</span>
          <span role="columnheader">Ticket</span>
          <span role="columnheader">Code</span>
          <span role="columnheader">Status</span>
          <span role="columnheader">
            <span className="visually-hidden">Actions</span>
          </span>
        </div>
      </div>
      {/* Focusable so the list scrolls by keyboard; the rows inside belong to the table's row group. */}
      <div className="vt-scroll" ref={scrollRef} tabIndex={0} role="rowgroup" aria-label="Attendee rows">
        <div className="vt-body" style={{ height: virtualizer.getTotalSize() }} role="presentation">
          {items.map((item) => (
            <AttendeeRow
              key={item.key}
              index={item.index}
              top={item.start}
              row={rowAt(pages, item.index)}
              timezone={timezone}
              mayCancel={mayCancel}
            />
          ))}
        </div>
      </div>
    </div>
  );
}

function AttendeeRow({
  index,
  top,
  row,
  timezone,
  mayCancel,
}: {
  index: number;
  top: number;
  mayCancel: boolean;
  row: BookingRow | undefined;
  timezone: string;
}) {
  const cancel = useAttendeesStore((state) => state.cancel);
  const erase = useAttendeesStore((state) => state.erase);
  const showTicket = useAttendeesStore((state) => state.showTicket);
  const style = { transform: `translateY(${top}px)`, height: ROW_HEIGHT };
  if (!row) {
    return (
      <div className="vt-row vt-loading" role="row" aria-rowindex={index + 2} style={style}>
        <span role="cell">Loading…</span>
      </div>
    );
  }
  const cancelled = row.status === 'cancelled';
  const name = row.attendee.name;
  return (
    <div
      className={`vt-row${cancelled ? ' vt-cancelled' : ''}`}
      role="row"
      aria-rowindex={index + 2}
      style={style}
      data-booking-id={row.id}
    >
      <span role="cell" className="truncate" title={name}>
        {name}
        {row.source === 'walkIn' ? <span className="tag">walk-in</span> : null}
        {row.erasedAt ? (
          <span className="tag" title={`Personal data erased ${formatDateTime(row.erasedAt, timezone)}`}>
            erased
          </span>
        ) : null}
      </span>
      <span role="cell" className="truncate" title={row.attendee.email ?? ''}>
        {row.attendee.email ?? '—'}
      </span>
      <span role="cell" className="truncate">
        {row.ticketTypeName}
      </span>
      <span role="cell" className="mono">
        {row.code}
      </span>
      <span role="cell">
        {cancelled ? (
          <span
            className="status status-cancelled"
            title={row.cancelledAt ? formatDateTime(row.cancelledAt, timezone) : ''}
          >
            cancelled
          </span>
        ) : row.checkedIn ? (
          <span className="status status-in">checked in</span>
        ) : (
          <span className="status">booked</span>
        )}
      </span>
      <span role="cell" className="row-actions">
        <button
          type="button"
          className="button-small"
          aria-label={`Ticket for ${name}`}
          onClick={() => void showTicket(row.id)}
        >
          Ticket
        </button>
        {mayCancel ? (
          <button
            type="button"
            className="button-small button-danger"
            aria-label={`Cancel booking of ${name}`}
            disabled={cancelled}
            onClick={() => {
              if (window.confirm(`Cancel the booking of ${name}? Their ticket will stop working.`)) void cancel(row.id);
            }}
          >
            Cancel
          </button>
        ) : null}
        {mayCancel ? (
          <button
            type="button"
            className="button-small button-danger"
            aria-label={`Erase personal data of ${name}`}
            disabled={Boolean(row.erasedAt)}
            onClick={() => {
              const question =
                `Erase the name and email of ${name} everywhere, for good? ` +
                'The booking keeps its code and check-ins. This needs the server.';
              if (window.confirm(question)) void erase(row.id);
            }}
          >
            Erase
          </button>
        ) : null}
      </span>
    </div>
  );
}
