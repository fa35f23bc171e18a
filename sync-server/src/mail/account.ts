import type { MailBody } from '../store/port';
import type { ComposedMail } from './compose';
import { page } from './compose';
import { escapeHtml, oneLine, plainText } from './text';

/**
 * Mails about a person's own account (not about a booking or an event): the code that confirms an
 * email change, sent to the new address, and the notice to the old one once it is confirmed.
 * Like the booking mails they are rendered once when queued; `eventId` is '' (no event).
 */

const ACCOUNT_FOOTER =
  'You receive this message because of a change to a Gatehouse account with this email address. ' +
  'It is a service message, sent once per change.';

type AccountMail = {
  id: string;
  kind: 'emailChangeConfirm' | 'emailChanged';
  to: string;
  name: string;
  subject: string;
  /** Paragraphs; each is escaped for the HTML part. `code` marks the one shown large. */
  paragraphs: Array<string | { code: string }>;
};

/**
 * A one-time code as `newCode` (users/email-change.ts) writes it: five groups of four Crockford
 * base-32 characters. The mail is the only place it exists in clear, so the copy the outbox keeps
 * after sending has it masked (`keptAfterSending`).
 */
const ONE_TIME_CODE = /\b[0-9A-HJKMNP-TV-Z]{4}(?:-[0-9A-HJKMNP-TV-Z]{4}){4}\b/g;
const MASKED_CODE = '••••-••••-••••-••••-••••';

/**
 * The html and text to keep on the outbox row once a message is sent, or null to keep it whole.
 * A code-bearing mail (`emailChangeConfirm`) keeps its words with the code masked: the database,
 * its backups and a store migration never hold a live code after it left, while admins still see
 * what was sent. A dead message keeps its code, so that an admin's retry within its 24 h still works.
 */
export function keptAfterSending(row: { kind: string; html: string; text: string }): MailBody | null {
  if (row.kind !== 'emailChangeConfirm') return null;
  return { html: row.html.replace(ONE_TIME_CODE, MASKED_CODE), text: row.text.replace(ONE_TIME_CODE, MASKED_CODE) };
}

function composeAccountMail(mail: AccountMail): ComposedMail {
  const subject = oneLine(mail.subject);
  const html = page(
    subject,
    `<p>Dear ${escapeHtml(mail.name)},</p>` +
      mail.paragraphs
        .map((paragraph) =>
          typeof paragraph === 'string'
            ? `<p>${escapeHtml(paragraph)}</p>`
            : `<p style="font-size:22px;letter-spacing:2px;font-family:monospace"><strong>${escapeHtml(paragraph.code)}</strong></p>`,
        )
        .join(''),
    ACCOUNT_FOOTER,
  );
  const text = [
    `Dear ${plainText(oneLine(mail.name, 200))},`,
    '',
    ...mail.paragraphs.flatMap((paragraph) => [
      typeof paragraph === 'string' ? plainText(paragraph) : `    ${paragraph.code}`,
      '',
    ]),
    ACCOUNT_FOOTER,
  ].join('\n');
  return {
    id: mail.id,
    kind: mail.kind,
    to: mail.to,
    toName: oneLine(mail.name),
    subject,
    html,
    text,
    ics: null,
    qrToken: null,
    eventId: '',
    bookingId: null,
  };
}

/** "12 December 2026, 19:00 UTC": the server does not know the reader's zone, so it names UTC. */
function utcTime(iso: string): string {
  return `${new Intl.DateTimeFormat('en-GB', {
    dateStyle: 'long',
    timeStyle: 'short',
    timeZone: 'UTC',
  }).format(new Date(iso))} UTC`;
}

/**
 * To the NEW address: the code that confirms the change. `requestId` makes each request its own
 * message (asking again mails a fresh code). Sent to the new address so that only its owner can
 * confirm it: the account then signs in with it.
 */
export function emailChangeConfirmMail(input: {
  requestId: string;
  name: string;
  oldEmail: string;
  newEmail: string;
  code: string;
  expiresAt: string;
}): ComposedMail {
  return composeAccountMail({
    id: `emailChangeConfirm:${input.requestId}`,
    kind: 'emailChangeConfirm',
    to: input.newEmail,
    name: input.name,
    subject: 'Confirm your new email address for Gatehouse',
    paragraphs: [
      `You asked to sign in to Gatehouse with ${input.newEmail} instead of ${input.oldEmail}. ` +
        'To confirm, open Gatehouse, go to Profile and enter this code under "Email address":',
      { code: input.code },
      `The code works once, until ${utcTime(input.expiresAt)}. Until then you keep signing in with ${input.oldEmail}.`,
      'Using the Gatehouse API instead: POST /auth/email-change/confirm with {"token": "<the code>"}.',
      'If you did not ask for this, ignore this message: nothing changes without the code.',
    ],
  });
}

/** To the OLD address once the change is confirmed, in case its owner did not make it. */
export function emailChangedMail(input: {
  userId: string;
  rev: number;
  name: string;
  oldEmail: string;
  newEmail: string;
  at: string;
}): ComposedMail {
  return composeAccountMail({
    id: `emailChanged:${input.userId}:${input.rev}`,
    kind: 'emailChanged',
    to: input.oldEmail,
    name: input.name,
    subject: 'Your Gatehouse email address was changed',
    paragraphs: [
      `On ${utcTime(input.at)} the Gatehouse account that signed in with ${input.oldEmail} was moved to ` +
        `${input.newEmail}. It signs in with the new address from now on.`,
      'If you did not make this change, tell your Gatehouse administrator at once.',
    ],
  });
}
