import type { ScanResult } from '@gatehouse/protocol';
import { useEffect, useState } from 'react';
import { VerdictPhoto } from './VerdictPhoto';

const HEADLINES: Record<ScanResult['verdict'], string> = {
  admit: 'ADMIT',
  exit: 'EXIT',
  duplicate: 'DUPLICATE',
  noReentry: 'NO RE-ENTRY',
  cancelled: 'CANCELLED',
  wrongEvent: 'WRONG EVENT',
  invalid: 'INVALID',
};

/**
 * How long a verdict stays in full colour. After that the panel says it is ready for the next
 * guest, keeping the last verdict small, so a steward glancing up never takes an old green for the
 * person in front of them; two admissions in a row are told apart by the flash each one starts with.
 */
export const VERDICT_SHOWN_MS = 8000;

/**
 * The door's verdict, readable from two metres: the colour says it at a glance, the word says it
 * without colour, and each new verdict flashes (the section is keyed by `serial`, restarting its
 * animation). For a ticket whose type requires a photo, the attendee's photo stands large beside the
 * name (VerdictPhoto). `onUndo` is offered on an admission this device just made (the core refuses it, in
 * words, once the undo window has passed); `undone` says that admission was undone.
 */
export function VerdictPanel({
  result,
  serial,
  undone = false,
  onUndo,
}: {
  result: ScanResult | null;
  serial: number;
  undone?: boolean;
  onUndo?: () => void;
}) {
  const [fadedSerial, setFadedSerial] = useState(-1);
  useEffect(() => {
    if (!result) return;
    const timer = window.setTimeout(() => setFadedSerial(serial), VERDICT_SHOWN_MS);
    return () => window.clearTimeout(timer);
  }, [result, serial]);

  if (!result) {
    return (
      <section className="verdict verdict-idle" aria-label="Scan result" data-verdict="none">
        <p className="verdict-headline">Ready to scan</p>
        <p className="verdict-message">Scan a ticket with the USB scanner or camera, or search by name below.</p>
      </section>
    );
  }
  // An undone admission no longer shows green: the person at the door is not let in on it.
  const shown = undone && result.verdict === 'admit' ? 'undone' : result.verdict;
  const faded = fadedSerial === serial;
  const reentry = result.reason === 'reentry';
  const photo = result.photo && result.booking ? result.photo : null;
  return (
    <section
      key={serial}
      className={`verdict verdict-${shown}${faded ? ' verdict-faded' : ' verdict-fresh'}${photo ? ' verdict-has-photo' : ''}`}
      aria-label="Scan result"
      data-verdict={shown}
      data-serial={serial}
      data-state={faded ? 'ready' : 'shown'}
    >
      {photo && result.booking ? (
        <VerdictPhoto state={photo} bookingId={result.booking.id} name={result.booking.attendee.name} />
      ) : null}
      {faded ? (
        <p className="verdict-ready" role="status">
          Ready for the next guest
        </p>
      ) : null}
      <p className="verdict-headline" role={faded ? undefined : 'alert'}>
        {shown === 'undone' ? 'UNDONE' : HEADLINES[result.verdict]}
        {reentry && shown === 'admit' ? <span className="verdict-kicker">re-entry</span> : null}
      </p>
      {result.booking ? (
        <p className="verdict-name truncate" title={result.booking.attendee.name}>
          {result.booking.attendee.name}
          {result.ticketTypeName ? <span className="verdict-type"> · {result.ticketTypeName}</span> : null}
        </p>
      ) : null}
      {/* The core's message names a duplicate's first entry and a re-entry's exit (time in the event's zone, gate). */}
      {shown === 'undone' ? null : <p className="verdict-message">{result.message}</p>}
      {result.verdict === 'admit' && result.checkinId ? (
        undone ? (
          <p className="verdict-undone-note" role="status">
            Admission undone — not counted as inside.
          </p>
        ) : onUndo ? (
          <button type="button" className="verdict-undo" onClick={onUndo}>
            Undo admission
          </button>
        ) : null
      ) : null}
    </section>
  );
}
