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
export function VerdictPanel({ result, serial }: { result: ScanResult | null; serial: number }) {
  if (!result) {
    return (
      <section className="verdict verdict-idle" aria-label="Scan result" data-verdict="none">
        <p className="verdict-headline">Ready to scan</p>
        <p className="verdict-message">Scan a ticket with the USB scanner or camera, or search by name below.</p>
      </section>
    );
  }
  return (
    <section
      className={`verdict verdict-${result.verdict}`}
      aria-label="Scan result"
      data-verdict={result.verdict}
      data-serial={serial}
    >
      <p className="verdict-headline" role="alert" key={serial}>
        {HEADLINES[result.verdict]}
      </p>
      {result.booking ? (
        <p className="verdict-name truncate" title={result.booking.attendee.name}>
          {result.booking.attendee.name}
          {result.ticketTypeName ? <span className="verdict-type"> · {result.ticketTypeName}</span> : null}
        </p>
      ) : null}
      {/* The core's message already names a duplicate's first entry (time in the event's zone, gate). */}
      <p className="verdict-message">{result.message}</p>
    </section>
  );
}
