import { useEffect, useState, type KeyboardEvent } from 'react';
import { useCheckinStore } from './checkinStore';

/**
 * Focus goes back to the page after a manual check-in, where a wedge scan needs no special speed
 * and no control can take a stray key.
 */
function leaveForScanning(): void {
  if (document.activeElement instanceof HTMLElement) document.activeElement.blur();
}

/**
 * For people without their QR: find by name, email or the short code under the QR. Enter with a
 * single match checks that guest in, as its button would.
 */
export function ManualSearch({ eventId }: { eventId: string }) {
  const [query, setQuery] = useState('');
  const matches = useCheckinStore((state) => state.matches);
  const matchesFor = useCheckinStore((state) => state.matchesFor);
  const search = useCheckinStore((state) => state.search);
  const manual = useCheckinStore((state) => state.manual);

  useEffect(() => {
    void search(eventId, query);
  }, [eventId, query, search]);

  function checkIn(bookingId: string): void {
    void manual(eventId, bookingId);
    setQuery('');
    leaveForScanning();
  }

  function onKeyDown(event: KeyboardEvent<HTMLInputElement>): void {
    // A wedge scan's Enter never gets here: the wedge takes it first (useKeyboardWedge).
    if (event.key !== 'Enter' || !query.trim()) return;
    event.preventDefault();
    const only = matches.length === 1 && matchesFor === query.trim() ? matches[0] : undefined;
    if (only) checkIn(only.id);
  }

  return (
    <section className="card manual" aria-labelledby="manual-title">
      <h2 id="manual-title">Find a guest</h2>
      <input
        type="search"
        aria-label="Find a guest by name, email or code"
        aria-describedby="manual-hint"
        placeholder="Name, email or code"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        onKeyDown={onKeyDown}
      />
      {query.trim() && matches.length === 0 ? <p className="hint">Nobody found.</p> : null}
      <p id="manual-hint" className="hint">
        {matches.length === 1 && query.trim() ? 'Enter checks this guest in.' : ''}
      </p>
      <ul className="matches">
        {matches.map((row) => (
          <li key={row.id}>
            <span className="truncate" title={row.attendee.name}>
              {row.attendee.name} <span className="mono">{row.code}</span>
              {row.status === 'cancelled' ? <span className="tag tag-danger">cancelled</span> : null}
              {row.checkedIn ? <span className="tag">inside</span> : null}
            </span>
            <button
              type="button"
              className="button-small"
              aria-label={`Check in ${row.attendee.name}`}
              onClick={() => checkIn(row.id)}
            >
              Check in
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
