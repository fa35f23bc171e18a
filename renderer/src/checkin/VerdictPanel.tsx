import type { ScanResult } from '@gatehouse/protocol';

const HEADLINES: Record<ScanResult['verdict'], string> = {
  admit: 'ADMIT',
  exit: 'EXIT',
  duplicate: 'DUPLICATE',
  noReentry: 'NO RE-ENTRY',
  cancelled: 'CANCELLED',
  wrongEvent: 'WRONG EVENT',
  invalid: 'INVALID',
};

/** Readable from two metres: the colour says it at a glance, the word says it without colour. */
/**
 * `onUndo`: offered on an admission this device just made (the core refuses it later than the
 * undo window allows, in words); `undone`: that admission was undone, so the panel says so.
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
  return (
    <section className={`verdict verdict-${shown}`} aria-label="Scan result" data-verdict={shown} data-serial={serial}>
      <p className="verdict-headline" role="alert" key={`${serial}-${shown}`}>
        {shown === 'undone' ? 'UNDONE' : HEADLINES[result.verdict]}
      </p>
      {result.booking ? (
        <p className="verdict-name truncate" title={result.booking.attendee.name}>
          {result.booking.attendee.name}
          {result.ticketTypeName ? <span className="verdict-type"> · {result.ticketTypeName}</span> : null}
        </p>
      ) : null}
      {/* The core's message already names a duplicate's first entry (time in the event's zone, gate). */}
      {shown === 'undone' ? null : <p className="verdict-message">{result.message}</p>}
      {result.verdict === 'admit' && result.checkinId ? (
        undone ? (
          <p className="verdict-undone-note" role="status">
            Admission undone — not counted as inside.
          </p>
        ) : onUndo ? (
          <button type="button" className="button-small verdict-undo" onClick={onUndo}>
            Undo admission
          </button>
        ) : null
      ) : null}
    </section>
  );
}
