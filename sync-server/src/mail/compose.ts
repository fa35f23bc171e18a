import type { MailKind } from '@gatehouse/protocol';
import type { BookingRow, ComposedMailRow, EventRow } from '../store/rows';
import { buildIcs } from './ics';
import { escapeHtml, formatEventTime, oneLine, plainText } from './text';

/**
 * A message as the outbox stores it: rendered once when queued (what the attendee was told is on
 * record, and a resend is the same message), except the QR image, which is drawn from the stored
 * token at send time to keep the stored row small.
 */
/** A message as composed; the outbox adds its bookkeeping (see store/rows MailRow). */
export type ComposedMail = ComposedMailRow;

export type Recipient = { name: string; email: string };

/** The inline ticket image's Content-ID, referenced by the HTML as `cid:`. */
export const QR_CONTENT_ID = 'ticket-qr@gatehouse';

const FOOTER_TEXT =
  'You receive this message because a booking was made with this email address. ' +
  'It is a service message about that booking, sent once per change.';

type EventFacts = { title: string; when: string; venue: string; timezone: string };

function factsOf(event: EventRow): EventFacts {
  return {
    title: event.title,
    when: formatEventTime(event.startsAt, event.endsAt, event.timezone),
    venue: event.venue,
    timezone: event.timezone,
  };
}

function calendarFor(event: EventRow, cancelled: boolean): string {
  return buildIcs({
    uid: `${event.id}@gatehouse`,
    sequence: event.rev,
    stamp: new Date(event.updatedAt),
    start: new Date(event.startsAt),
    end: new Date(event.endsAt),
    summary: event.title,
    location: event.venue,
    description: event.description,
    cancelled,
  });
}

function detailsHtml(facts: EventFacts, extra: [string, string][] = []): string {
  const rows: [string, string][] = [
    ['Event', facts.title],
    ['When', facts.when],
    ['Time zone', facts.timezone],
    ['Where', facts.venue],
    ...extra,
  ];
  return `<table role="presentation" style="border-collapse:collapse;margin:16px 0">${rows
    .map(
      ([label, value]) =>
        `<tr><th scope="row" style="text-align:left;padding:4px 16px 4px 0;color:#555">${escapeHtml(label)}</th>` +
        `<td style="padding:4px 0">${escapeHtml(value)}</td></tr>`,
    )
    .join('')}</table>`;
}

function detailsText(facts: EventFacts, extra: [string, string][] = []): string {
  return [
    `Event:     ${plainText(facts.title)}`,
    `When:      ${facts.when}`,
    `Time zone: ${facts.timezone}`,
    `Where:     ${plainText(facts.venue)}`,
    ...extra.map(([label, value]) => `${`${label}:`.padEnd(11)}${plainText(value)}`),
  ].join('\n');
}

/** The HTML frame every mail shares; `footer` says why the reader receives it. */
export function page(title: string, body: string, footer = FOOTER_TEXT): string {
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    `<title>${escapeHtml(title)}</title></head>` +
    '<body style="font-family:Arial,Helvetica,sans-serif;color:#222;max-width:600px;margin:0 auto;padding:16px">' +
    body +
    `<p style="color:#777;font-size:12px;margin-top:32px">${escapeHtml(footer)}</p></body></html>`
  );
}

/** What differs between the kinds of mail; everything else (layout, greeting, footer, row) is shared. */
type MailContent = {
  id: string;
  kind: MailKind;
  recipient: Recipient;
  subject: string;
  facts: EventFacts;
  /** The opening message, as HTML (may hold markup) and as plain-text lines. */
  lead: { html: string; text: string[] };
  /** Rows added to the event's details table, e.g. the booking code. */
  extra?: [string, string][];
  /** A closing sentence after the details, in plain text (escaped for the HTML part). */
  closing?: string;
  ics: string | null;
  qrToken: string | null;
  eventId: string;
  bookingId: string | null;
};

function composeMail(content: MailContent): ComposedMail {
  const subject = oneLine(content.subject);
  const name = content.recipient.name;
  const closing = content.closing;
  const html = page(
    subject,
    `<p>Dear ${escapeHtml(name)},</p>${content.lead.html}${detailsHtml(content.facts, content.extra)}` +
      (closing ? `<p>${escapeHtml(closing)}</p>` : ''),
  );
  const text = [
    `Dear ${plainText(oneLine(name, 200))},`,
    '',
    ...content.lead.text,
    '',
    detailsText(content.facts, content.extra),
    '',
    ...(closing ? [closing, ''] : []),
    FOOTER_TEXT,
  ].join('\n');
  return {
    id: content.id,
    kind: content.kind,
    to: content.recipient.email,
    toName: oneLine(name),
    subject,
    html,
    text,
    ics: content.ics,
    qrToken: content.qrToken,
    eventId: content.eventId,
    bookingId: content.bookingId,
  };
}

function ticketTypeName(event: EventRow, booking: BookingRow): string {
  return event.ticketTypes.find((type) => type.id === booking.ticketTypeId)?.name ?? 'Ticket';
}

function bookingRecipient(booking: BookingRow): Recipient {
  return { name: booking.attendee.name, email: booking.attendee.email! };
}

export function bookingConfirmedMail(event: EventRow, booking: BookingRow, ticketToken: string): ComposedMail {
  const code = escapeHtml(booking.code);
  return composeMail({
    id: `bookingConfirmed:${booking.id}`,
    kind: 'bookingConfirmed',
    recipient: bookingRecipient(booking),
    subject: `Your tickets for ${event.title}`,
    facts: factsOf(event),
    lead: {
      html:
        '<p>Your booking is confirmed. Show this code at the entrance:</p>' +
        `<p><img src="cid:${QR_CONTENT_ID}" alt="Ticket QR code for booking ${code}" width="240" height="240"></p>` +
        `<p style="font-size:20px;letter-spacing:2px"><strong>${code}</strong></p>`,
      text: [
        'Your booking is confirmed. Show the QR code attached to this message at the entrance,',
        `or give the booking code ${booking.code} at the door.`,
      ],
    },
    extra: [
      ['Tickets', `${booking.quantity} × ${ticketTypeName(event, booking)}`],
      ['Booking', booking.code],
    ],
    closing: 'The attached calendar file adds the event to your calendar.',
    ics: calendarFor(event, false),
    qrToken: ticketToken,
    eventId: event.id,
    bookingId: booking.id,
  });
}

export function bookingCancelledMail(event: EventRow, booking: BookingRow): ComposedMail {
  const notice = 'has been cancelled. Its ticket is no longer valid for entry.';
  return composeMail({
    id: `bookingCancelled:${booking.id}`,
    kind: 'bookingCancelled',
    recipient: bookingRecipient(booking),
    subject: `Booking cancelled: ${event.title}`,
    facts: factsOf(event),
    lead: {
      html: `<p>Your booking <strong>${escapeHtml(booking.code)}</strong> ${notice}</p>`,
      text: [`Your booking ${booking.code} ${notice}`],
    },
    extra: [['Booking', booking.code]],
    ics: null,
    qrToken: null,
    eventId: event.id,
    bookingId: booking.id,
  });
}

/** What every recipient of one event-wide mail shares, computed once per fan-out. */
export type PreparedEvent = { event: EventRow; facts: EventFacts; ics: string };

export function prepareEvent(event: EventRow): PreparedEvent {
  return { event, facts: factsOf(event), ics: calendarFor(event, event.status === 'cancelled') };
}

/** An event-wide notice: same details and calendar for every recipient, one lead sentence. */
function eventNotice(
  { event, facts, ics }: PreparedEvent,
  notice: { id: string; kind: MailKind; subject: string; lead: string; closing: string },
  recipient: Recipient,
): ComposedMail {
  return composeMail({
    ...notice,
    recipient,
    facts,
    lead: { html: `<p>${escapeHtml(notice.lead)}</p>`, text: [notice.lead] },
    ics,
    qrToken: null,
    eventId: event.id,
    bookingId: null,
  });
}

/**
 * `change` names the edit (the event's rev when it was made), `key` the recipient: one mail per
 * address per change, however many bookings that address holds.
 */
export function eventChangedMail(
  prepared: PreparedEvent,
  recipient: Recipient,
  change: number,
  key: string,
): ComposedMail {
  const { event } = prepared;
  return eventNotice(
    prepared,
    {
      id: `eventChanged:${event.id}:${change}:${key}`,
      kind: 'eventChanged',
      subject: `Changed: ${event.title}`,
      lead: 'The time or place of an event you booked has changed. These are the current details:',
      // True because the door judges a ticket by the event's current dates (protocol/src/checkins),
      // not by the dates in its QR code; a cancelled event voids it, and then the mail does not say so.
      closing:
        event.status === 'cancelled'
          ? 'The attached calendar file updates the entry in your calendar.'
          : 'Your ticket stays valid at the new time: no new ticket is needed. The attached calendar file updates the entry in your calendar.',
    },
    recipient,
  );
}

/**
 * `cancellation` names the cancellation (the event's rev when it was made; null for a hand-off
 * recorded before cancellations were named, whose mails keep their old ids), `key` the recipient.
 */
export function eventCancelledMail(
  prepared: PreparedEvent,
  recipient: Recipient,
  cancellation: number | null,
  key: string,
): ComposedMail {
  const { event } = prepared;
  return eventNotice(
    prepared,
    {
      id:
        cancellation === null
          ? `eventCancelled:${event.id}:${key}`
          : `eventCancelled:${event.id}:${cancellation}:${key}`,
      kind: 'eventCancelled',
      subject: `Cancelled: ${event.title}`,
      lead: 'We are sorry: this event has been cancelled and will not take place.',
      closing: 'Your ticket is no longer valid. The attached calendar file marks the entry as cancelled.',
    },
    recipient,
  );
}
