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
 */
export function oneLine(text: string, maxLength = 200): string {
  const flat = text.replace(LINE_BREAKING, ' ').replace(/\s+/g, ' ').trim();
  return flat.length > maxLength ? `${flat.slice(0, maxLength - 1)}…` : flat;
}

/** Plain-text bodies keep line breaks the sender chose but drop other control characters. */
export function plainText(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(CONTROL_EXCEPT_TAB_AND_NEWLINE, '');
}

/**
 * "Saturday, 12 December 2026, 19:00 – 23:00 CET": the event's own time zone, since that is
 * where the attendee will be, whatever zone the server or the reader's mail client is in.
 */
export function formatEventTime(startsAt: string, endsAt: string, timeZone: string): string {
  const format = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
  });
  return format.formatRange(new Date(startsAt), new Date(endsAt));
}
