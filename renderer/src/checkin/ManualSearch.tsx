import { useCallback, useEffect, useState, type KeyboardEvent } from 'react';
import { matchForEnter, searchKey, useCheckinStore } from './checkinStore';

/**
 * Focus goes back to the page after a manual check-in, where a wedge scan needs no special speed
 * and no control can take a stray key.
 */
function leaveForScanning(): void {
  if (document.activeElement instanceof HTMLElement) document.activeElement.blur();
}

/**
 * For people without their QR: find by name, email or the short code under the QR. Enter with a
 * single match (or a single exact name or code among a few, matchForEnter) checks that guest in,
 * as its button would. Enter pressed before the search for what
 * was typed has answered (a quick typist, a busy laptop) is kept and acts on that answer: a steward
 * who typed the code and pressed Enter never has to press it again.
 */
export function ManualSearch({ eventId }: { eventId: string }) {
  const [query, setQuery] = useState('');
  /** The search (searchKey) an early Enter waits for; null when none does. */
  const [enterFor, setEnterFor] = useState<string | null>(null);
  const matches = useCheckinStore((state) => state.matches);
  const matchesFor = useCheckinStore((state) => state.matchesFor);
  const search = useCheckinStore((state) => state.search);
  const manual = useCheckinStore((state) => state.manual);
  const asked = searchKey(eventId, query);
  // Matches of older text (or another event) are still on screen until the new search answers; they say nothing.
  const answered = query.trim() !== '' && matchesFor === asked;
  const only = answered ? matchForEnter(matches, query) : undefined;

  useEffect(() => {
    void search(eventId, query);
  }, [eventId, query, search]);

  const checkIn = useCallback(
    (bookingId: string): void => {
      void manual(eventId, bookingId);
      setQuery('');
      setEnterFor(null);
      leaveForScanning();
    },
    [eventId, manual],
  );

  // An Enter is for the event it was pressed at: another event chosen meanwhile drops it.
  useEffect(() => setEnterFor(null), [eventId]);

  useEffect(() => {
    if (enterFor === null || enterFor !== matchesFor) return;
    setEnterFor(null);
    const chosen = matchForEnter(matches, query);
    if (chosen) checkIn(chosen.id);
  }, [enterFor, matchesFor, matches, query, checkIn]);

  function onKeyDown(event: KeyboardEvent<HTMLInputElement>): void {
    // A wedge scan's Enter never gets here: the wedge takes it first (useKeyboardWedge).
    if (event.key !== 'Enter' || !query.trim()) return;
    event.preventDefault();
    if (!answered) setEnterFor(asked);
    else if (only) checkIn(only.id);
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
        onChange={(e) => {
          setQuery(e.target.value);
          setEnterFor(null);
        }}
        onKeyDown={onKeyDown}
      />
      {answered && matches.length === 0 ? <p className="hint">Nobody found.</p> : null}
      <p id="manual-hint" className="hint">
        {only ? `Enter checks ${matches.length === 1 ? 'this guest' : only.attendee.name} in.` : ''}
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
