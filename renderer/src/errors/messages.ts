import { describeDetails, type ErrorCode, type ErrorDetail } from '@gatehouse/protocol';
import { toRpcError } from '../rpc/RpcError';

/** What a person at a venue should read for each code; the server's own message goes to details. */
const PLAIN_WORDS: Partial<Record<ErrorCode, string>> = {
  // Said where no field of a form could be marked (see ui/fieldProblems.ts); the details follow it.
  VALIDATION_FAILED: 'Some of the details are not valid.',
  MALFORMED_JSON: 'The request was garbled on the way. Please try again.',
  CURSOR_INVALID: 'The list moved on; please reload it.',
  UNAUTHENTICATED: 'Please sign in again.',
  TOKEN_EXPIRED: 'Your session has expired. Please sign in again.',
  TOKEN_INVALID: 'Your session is no longer valid. Please sign in again.',
  INVALID_CREDENTIALS: 'That email and password do not match.',
  REFRESH_TOKEN_INVALID: 'Your session is no longer valid. Please sign in again.',
  REFRESH_TOKEN_REUSED: 'For your safety this session was closed. Please sign in again.',
  ACCOUNT_DISABLED: 'This account has been disabled. Ask an administrator.',
  SESSION_ENDED:
    'You were signed out of this session (from another device, or after a password change). Please sign in again.',
  TOKEN_DEVICE_MISMATCH: 'This sign-in belongs to another device. Please sign in on this one.',
  DEVICE_REVOKED: 'This device was removed from Gatehouse. Ask an administrator.',
  FORBIDDEN: 'Your role does not allow this.',
  ORIGIN_FORBIDDEN: 'This page is not allowed to talk to Gatehouse.',
  NOT_FOUND: 'That no longer exists, or you cannot see it.',
  ALERT_NOT_FOUND: 'That alert is not one of this event’s, or no longer exists.',
  EMAIL_TAKEN: 'An account with that email already exists.',
  EMAIL_CHANGE_CODE_INVALID: 'That code is not the latest one we sent. Check the newest email, or ask for a new code.',
  EMAIL_CHANGE_CODE_EXPIRED: 'That code has expired. Ask for the change again to get a new one.',
  EMAIL_CHANGE_CODE_USED: 'That code was already used. Your email may already be changed.',
  CONFLICT: 'Someone else changed this at the same time, or it is not allowed in its current state.',
  SOLD_OUT: 'That ticket type is sold out.',
  EVENT_NOT_BOOKABLE: 'This event is not open for bookings.',
  BOOKING_NOT_CANCELLABLE: 'This booking can no longer be cancelled.',
  IDEMPOTENCY_KEY_IN_PROGRESS: 'The same request is still being carried out. Please wait a moment and try again.',
  PAYLOAD_TOO_LARGE: 'That is too much data to send at once.',
  BATCH_TOO_LARGE: 'Too many changes at once; they will be sent in smaller parts.',
  UNSUPPORTED_MEDIA_TYPE: 'The request was in a format the server does not accept.',
  IDEMPOTENCY_KEY_REUSED: 'This request was already sent with different details.',
  MUTATION_ID_REUSED: 'This change was already sent with different details.',
  UNPROCESSABLE: 'The server could not carry this out.',
  PROTOCOL_UNSUPPORTED:
    'This device and the server run versions of Gatehouse that do not work together. Update the older one; nothing waiting to send is lost.',
  RATE_LIMITED: 'Too many attempts. Please wait a moment and try again.',
  ACCOUNT_LOCKED: 'Too many failed sign-ins. The account is locked for a while.',
  INTERNAL: 'Something went wrong on our side. Please try again.',
  SERVICE_UNAVAILABLE: 'The server cannot be reached. Check the network; work saved here will sync later.',
  OFFLINE: 'This needs the server, and it cannot be reached right now. Work saved here will sync later.',
  LOCAL_STORE_CORRUPT: 'The data on this device is damaged. Use “Repair” on the Sync screen to download it again.',
  STORAGE_FULL: 'The disk of this device is full. Free some space; nothing was half-saved.',
  SAVE_TARGET_UNKNOWN: 'The file chosen to save the export to is no longer known. Export again and choose it again.',
  SERVER_STORAGE_FULL: 'The server is out of disk space. Work saved here is kept and will sync once it has room.',
  UNKNOWN_MUTATION: 'The server does not know this kind of change. Update Gatehouse on this device.',
  IMAGE_EMPTY: 'That file is empty. Choose a picture.',
  IMAGE_TOO_LARGE: 'That picture is larger than 5 MB. Choose a smaller one.',
  IMAGE_TYPE_UNSUPPORTED: 'That is not a JPEG, PNG or WebP picture. Choose one of those.',
  IMAGE_INVALID: 'That file is not a picture that can be read (it may be damaged).',
  IMAGE_TOO_MANY_PIXELS: 'That picture has too many pixels. Choose a smaller one.',
  PHOTO_REFERENCE_UNKNOWN:
    "No booking of this event has that code or ticket-shop id. Name the photo after the booking's code.",
  SUPERSEDED:
    'Someone changed the same details later than this edit was made, so theirs stand and this one did not take effect.',
  IMPORT_TOO_LARGE: 'That file is too large to import at once (32 MB, 200,000 rows). Split it into several files.',
  IMPORT_EMPTY: 'That file has no attendees in it.',
  IMPORT_MALFORMED: 'That file is not a readable CSV file. Nothing was imported.',
  IMPORT_TOO_MANY_COLUMNS: 'That file has too many columns (more than 200). Nothing was imported.',
  IMPORT_ENCODING_INVALID: 'The characters of that file cannot be read. Save it again as UTF-8 and retry.',
  IMPORT_MAPPING_INVALID: 'Choose which columns hold the name, email and ticket type.',
  IMPORT_ROW_INVALID: 'This row cannot be read.',
  IMPORT_DATE_INVALID: 'The order date of this row is not a date in the format the file uses (for example 2024-05-02).',
  IMPORT_ROW_UNMATCHABLE: 'This row has neither an email nor an id, so a later import could not find it again.',
  IMPORT_DUPLICATE_ROW: 'This row repeats an earlier row of the file.',
  IMPORT_UNKNOWN_TICKET_TYPE: 'The event has no ticket type by that name.',
  IMPORT_BOOKING_CANCELLED: 'This row matches a cancelled booking, which an import does not bring back.',
};

/** Partial on purpose: a code added elsewhere still shows words; errors.test.ts insists on all of them. */
export function plainWordsFor(code: string): string {
  return (PLAIN_WORDS as Record<string, string>)[code] ?? `Something went wrong (${code}). Please try again.`;
}

export function codesWithoutWords(codes: readonly string[]): string[] {
  return codes.filter((code) => !Object.hasOwn(PLAIN_WORDS, code));
}

/**
 * A failure as a screen shows it: `text` in plain words, `detail` the technical line under it, and
 * `details` the inputs at fault (VALIDATION_FAILED), which a form turns into marked fields.
 */
export type UiError = { code: string; text: string; detail: string; details: readonly ErrorDetail[] };

/**
 * Turns any rejection into what a screen shows: plain words first, then as detail what was wrong
 * with which input (`path: message; …`) when the core said, else its technical message.
 */
export function describeError(error: unknown): UiError {
  const rpcError = toRpcError(error);
  return {
    code: rpcError.code,
    text: plainWordsFor(rpcError.code),
    detail: rpcError.details.length > 0 ? describeDetails(rpcError.details) : rpcError.message,
    details: rpcError.details,
  };
}
