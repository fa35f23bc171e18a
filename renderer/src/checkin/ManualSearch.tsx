import { useCallback, useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { matchForEnter, searchKey, useCheckinStore } from './checkinStore';

/**
 * Focus goes back to the page after a manual check-in, where a wedge scan needs no special speed
 * and no control can take a stray key — from the search field only: a steward who has moved on to
 * another control keeps it.
 */
function leaveForScanning(field: HTMLInputElement | null): void {
  if (field && document.activeElement === field) field.blur();
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
  const field = useRef<HTMLInputElement>(null);
  /** The search a check-in was made for, until the text changes: a second Enter before the field empties does nothing. */
  const checkedInFor = useRef<string | null>(null);
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
    (bookingId: string, forSearch: string): void => {
      if (checkedInFor.current === forSearch) return;
      checkedInFor.current = forSearch;
      void manual(eventId, bookingId);
      setQuery('');
      setEnterFor(null);
      leaveForScanning(field.current);
    },
    [eventId, manual],
  );

  // An Enter is for the event it was pressed at: another event chosen meanwhile drops it.
  useEffect(() => setEnterFor(null), [eventId]);

  useEffect(() => {
    // Only for the text and event on screen now, whatever else changed in the same render.
    if (enterFor === null || enterFor !== matchesFor || enterFor !== asked) return;
    setEnterFor(null);
    const chosen = matchForEnter(matches, query);
    if (chosen) checkIn(chosen.id, asked);
  }, [enterFor, matchesFor, asked, matches, query, checkIn]);

  function onKeyDown(event: KeyboardEvent<HTMLInputElement>): void {
    // A wedge scan's Enter never gets here: the wedge takes it first (useKeyboardWedge).
    if (event.key !== 'Enter' || !query.trim()) return;
    event.preventDefault();
    if (enterFor !== null) return; // one Enter already waits for this answer
    if (!answered) setEnterFor(asked);
    else if (only) checkIn(only.id, asked);
  }

  return (
    <section className="card manual" aria-labelledby="manual-title">
      <h2 id="manual-title">Find a guest</h2>
      <input
        type="search"
        aria-label="Find a guest by name, email or code"
        aria-describedby="manual-hint"
        placeholder="Name, email or code"
        ref={field}
        value={query}
        onChange={(e) => {
          setQuery(e.target.value);
          setEnterFor(null);
          checkedInFor.current = null;
        }}
        onKeyDown={onKeyDown}
        // An Enter still waiting is for this field: a steward who has moved on has not asked for it.
        onBlur={() => setEnterFor(null)}
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
              onClick={() => checkIn(row.id, `${asked}\n${row.id}`)}
            >
              Check in
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
