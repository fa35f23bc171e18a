import { z } from 'zod';

/**
 * Every failure a client can see has one of these stable codes. Clients branch on the code,
 * never on the message, so codes are never renamed once shipped.
 */
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  MALFORMED_JSON: 400,
  CURSOR_INVALID: 400,
  UNAUTHENTICATED: 401,
  TOKEN_EXPIRED: 401,
  TOKEN_INVALID: 401,
  INVALID_CREDENTIALS: 401,
  REFRESH_TOKEN_INVALID: 401,
  REFRESH_TOKEN_REUSED: 401,
  ACCOUNT_DISABLED: 401,
  /** The access token's session was ended (sign-out, sign-out everywhere, password change, revoked device). */
  SESSION_ENDED: 401,
  /** The access token was issued for another device than the X-Device-Id it is sent with. */
  TOKEN_DEVICE_MISMATCH: 403,
  /** This device was revoked by an admin or its owner: it may not sync, and wipes its local data. */
  DEVICE_REVOKED: 403,
  FORBIDDEN: 403,
  ORIGIN_FORBIDDEN: 403,
  NOT_FOUND: 404,
  /** No such alert in the event named: another event's alert, or none (`alert.acknowledge`). */
  ALERT_NOT_FOUND: 404,
  EMAIL_TAKEN: 409,
  /** An email-change code that was never issued, or was replaced by a newer request of its user. */
  EMAIL_CHANGE_CODE_INVALID: 400,
  /** An email-change code past its expiry (EMAIL_CHANGE_TTL_HOURS): ask for the change again. */
  EMAIL_CHANGE_CODE_EXPIRED: 410,
  /** An email-change code that already confirmed its change: each code works once. */
  EMAIL_CHANGE_CODE_USED: 409,
  CONFLICT: 409,
  SOLD_OUT: 409,
  EVENT_NOT_BOOKABLE: 409,
  BOOKING_NOT_CANCELLABLE: 409,
  /** The first request with this Idempotency-Key is still running; retry after Retry-After. */
  IDEMPOTENCY_KEY_IN_PROGRESS: 409,
  PAYLOAD_TOO_LARGE: 413,
  BATCH_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  /** The Idempotency-Key was used with another body, route or method by this user. */
  IDEMPOTENCY_KEY_REUSED: 422,
  MUTATION_ID_REUSED: 422,
  /** A pushed mutation whose name this server does not know (an older server, or a bad client). */
  UNKNOWN_MUTATION: 422,
  /** Not an HTTP answer: a device's notice that its edit was applied but lost last-writer-wins. */
  SUPERSEDED: 409,
  UNPROCESSABLE: 422,
  /** The device's protocol version is outside what the server accepts (see version.ts). */
  PROTOCOL_UNSUPPORTED: 426,
  RATE_LIMITED: 429,
  ACCOUNT_LOCKED: 429,
  INTERNAL: 500,
  SERVICE_UNAVAILABLE: 503,
  /** Desktop core: the server cannot be reached (no network, server down). */
  OFFLINE: 503,
  /** Desktop core: the local database file is damaged; `sync.recoverStore` moves it aside and resyncs. */
  LOCAL_STORE_CORRUPT: 500,
  /**
   * Desktop core: an export was asked to be saved to a file the shell's save dialog did not grant
   * (an unknown, used or expired token; the core restarted since): choose the file again.
   */
  SAVE_TARGET_UNKNOWN: 404,
  /** Desktop core: the disk is full; the failed write was rolled back as a whole. */
  STORAGE_FULL: 507,
  /** Sync server: its disk is full; the request wrote nothing. A device keeps its outbox and retries. */
  SERVER_STORAGE_FULL: 503,
  /** An image upload with no bytes (protocol/src/images.ts). */
  IMAGE_EMPTY: 400,
  /** An image upload over IMAGE_MAX_INPUT_BYTES (5 MiB). */
  IMAGE_TOO_LARGE: 413,
  /** An image of another format than JPEG, PNG or WebP (read from its bytes, whatever it was labelled). */
  IMAGE_TYPE_UNSUPPORTED: 415,
  /** Bytes that are no readable image (truncated, corrupt, or not an image at all). */
  IMAGE_INVALID: 422,
  /** An image declaring more than IMAGE_MAX_INPUT_PIXELS pixels: refused before decoding (a decompression bomb). */
  IMAGE_TOO_MANY_PIXELS: 422,
  /**
   * Photo import (photo-imports.ts): the reference (a file's name) is neither the door code nor the
   * external id of any booking of the event.
   */
  PHOTO_REFERENCE_UNKNOWN: 404,
  /** CSV import (imports.ts): the file is over IMPORT_LIMITS.maxBytes (or the row limit); nothing was written. */
  IMPORT_TOO_LARGE: 413,
  /** CSV import: the body is empty, or has a header and no row. */
  IMPORT_EMPTY: 422,
  /** CSV import: the CSV cannot be read (broken quoting, a field too long); details name the line. */
  IMPORT_MALFORMED: 422,
  /** CSV import: more columns than IMPORT_LIMITS.maxColumns. */
  IMPORT_TOO_MANY_COLUMNS: 422,
  /** CSV import: the bytes are not in the encoding asked for (or mix UTF-8 with another). */
  IMPORT_ENCODING_INVALID: 422,
  /** CSV import: the mapping names a column the file lacks, or the file matches no preset. */
  IMPORT_MAPPING_INVALID: 422,
  /** CSV import, one row (reported, not thrown): no name, a bad email, a wrong number of fields. */
  IMPORT_ROW_INVALID: 422,
  /** CSV import, one row: neither an email nor an external id to match it by on a re-import. */
  IMPORT_ROW_UNMATCHABLE: 422,
  /** CSV import, one row: the same attendee (external id, or email + name) as an earlier row of the file. */
  IMPORT_DUPLICATE_ROW: 422,
  /** CSV import, one row: the event has no ticket type by that name or id. */
  IMPORT_UNKNOWN_TICKET_TYPE: 422,
  /** CSV import, one row: it matches a cancelled booking, which an import does not bring back. */
  IMPORT_BOOKING_CANCELLED: 409,
  /** CSV import, one row: the order date is not a date in a format the preset reads (IMPORT_ORDER_DATE_EXAMPLES). */
  IMPORT_DATE_INVALID: 422,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;
export const ERROR_CODES = Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]];
export const errorCodeSchema = z.enum(ERROR_CODES);

export const errorDetailSchema = z.object({
  path: z.string().optional(),
  message: z.string(),
});
export type ErrorDetail = z.infer<typeof errorDetailSchema>;
/** At most 20, as `zodIssuesToDetails` keeps: what a client accepts from a server or bridge. */
export const errorDetailsSchema = z.array(errorDetailSchema).max(20);

export const errorBodySchema = z.object({
  error: z.object({
    code: errorCodeSchema,
    message: z.string(),
    details: errorDetailsSchema.optional(),
  }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

/** Thrown by any layer; turned into the wire error shape at the edge (HTTP, RPC, push result). */
export class GatehouseError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetail[] | undefined;
  /** For RATE_LIMITED / ACCOUNT_LOCKED: sent as the Retry-After header. */
  readonly retryAfterSeconds: number | undefined;
  constructor(code: ErrorCode, message: string, details?: ErrorDetail[], options?: { retryAfterSeconds?: number }) {
    super(message);
    this.name = 'GatehouseError';
    this.code = code;
    this.details = details;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
  get status(): number {
    return ERROR_STATUS[this.code];
  }
  toBody(): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details ? { details: this.details } : {}),
      },
    };
  }
}

/** Flattens zod issues into wire details: a path like `ticketTypes.0.quota` and a message. */
export function zodIssuesToDetails(issues: readonly z.core.$ZodIssue[]): ErrorDetail[] {
  return issues.slice(0, 20).map((issue) => ({
    path: issue.path.map(String).join('.') || undefined,
    message: issue.message,
  }));
}

/** Details as one line for a person: `path: message; path: message`. */
export function describeDetails(details: readonly ErrorDetail[]): string {
  return details.map((detail) => (detail.path ? `${detail.path}: ${detail.message}` : detail.message)).join('; ');
}

/** Parses or throws a VALIDATION_FAILED GatehouseError, for code paths outside Fastify's schema step. */
export function parseOrThrow<T extends z.ZodType>(schema: T, input: unknown, what = 'input'): z.infer<T> {
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new GatehouseError('VALIDATION_FAILED', `Invalid ${what}`, zodIssuesToDetails(result.error.issues));
  }
  return result.data;
}
