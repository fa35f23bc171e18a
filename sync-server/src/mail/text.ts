import { formatTimeRange, LONG_RANGE_FIELDS, truncateText } from '@gatehouse/protocol';
import escapeHtmlLibrary from 'escape-html';

/**
 * Making user text (attendee names, event titles, venues) safe where it lands. Every value that
 * came from a person passes through one of these before it reaches a template or a header.
 */

/** For HTML text and attribute values (always double-quoted in our templates): `& < > " '`. */
export function escapeHtml(text: string): string {
  return escapeHtmlLibrary(text);
}

// eslint-disable-next-line no-control-regex
const LINE_BREAKING = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;
// eslint-disable-next-line no-control-regex
const CONTROL_EXCEPT_TAB_AND_NEWLINE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * For anything that ends up in a header (subject, display name). Nodemailer encodes headers, but a
 * CR/LF or other control character has no business in one line of text, so it never gets that far.
 * Longer than `maxLength` UTF-16 code units, it is cut between graphemes and ends in "…" (an emoji
 * near the cut stays whole or goes whole, never leaving half a surrogate pair to become U+FFFD).
 */
export function oneLine(text: string, maxLength = 200): string {
  const flat = text.replace(LINE_BREAKING, ' ').replace(/\s+/g, ' ').trim();
  return truncateText(flat, maxLength, '…');
}

/** Plain-text bodies keep line breaks the sender chose but drop other control characters. */
export function plainText(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(CONTROL_EXCEPT_TAB_AND_NEWLINE, '');
}

/**
 * "Saturday, 12 December 2026, 19:00–23:00 CET": the event's own time zone, since that is where
 * the attendee will be, whatever zone the server or the reader's mail client is in. Across a clock
 * change each end names its zone: "Sunday, 31 October 2027 at 02:30 CEST – 02:45 CET".
 */
export function formatEventTime(startsAt: string, endsAt: string, timeZone: string): string {
  return formatTimeRange(startsAt, endsAt, timeZone, { locale: 'en-GB', fields: LONG_RANGE_FIELDS });
}
