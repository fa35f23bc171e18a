import { ERASED_ATTENDEE_NAME, type Attendee } from '@gatehouse/protocol';

/**
 * Pure pieces of an erasure (BookingRepository.erase) that both adapters apply the same way, so
 * what a device or an export sees of an erased booking is byte for byte the same on either store.
 */

/** The attendee of an erased booking: the placeholder name, no email. */
export function erasedAttendee(): Attendee {
  return { name: ERASED_ATTENDEE_NAME };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A logged booking doc (protocol `bookingSchema`) with the attendee erased: the version it was
 * (rev, status, times) stays, only the personal data goes. Anything that is not a booking doc is
 * returned as it is.
 */
export function erasedBookingDoc(doc: unknown): unknown {
  if (!isRecord(doc) || !isRecord(doc.attendee)) return doc;
  return { ...doc, attendee: erasedAttendee() };
}

/**
 * An Idempotency-Key's kept answer (JSON text) for a request that created the booking, with the
 * attendee erased: a retry of that request is answered without the data. Other bodies unchanged.
 */
export function erasedAnswerBody(body: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return body;
  }
  const erased = erasedBookingDoc(parsed);
  return erased === parsed ? body : JSON.stringify(erased);
}
