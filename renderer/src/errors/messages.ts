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
  SERVER_STORAGE_FULL: 'The server is out of disk space. Work saved here is kept and will sync once it has room.',
  UNKNOWN_MUTATION: 'The server does not know this kind of change. Update Gatehouse on this device.',
  SUPERSEDED:
    'Someone changed the same details later than this edit was made, so theirs stand and this one did not take effect.',
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
