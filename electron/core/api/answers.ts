import { ERROR_CODES, type ErrorCode, errorDetailsSchema, GatehouseError } from '@gatehouse/protocol';
import type { z } from 'zod';

/**
 * How the device reads the sync server's answers, the same for every kind of request (JSON calls,
 * byte uploads and downloads, streamed uploads, file downloads): refusals become GatehouseErrors
 * with the server's stable code, and the codes that end this device's access are named once here.
 */

/** Answers to any request after which the device may not go on: the core saves the outbox and wipes. */
export const ACCESS_LOST = new Set<ErrorCode>(['ACCOUNT_DISABLED', 'DEVICE_REVOKED']);

/** Refresh outcomes that end the server session (keep local data and outbox; the user signs in again). */
export const SESSION_ENDING = new Set<ErrorCode>([
  'REFRESH_TOKEN_INVALID',
  'REFRESH_TOKEN_REUSED',
  'ACCOUNT_DISABLED',
  'DEVICE_REVOKED',
]);

/** 401 answers after which one token refresh and one resend are worth trying. */
export const RETRY_WITH_REFRESH = new Set<ErrorCode>([
  'TOKEN_EXPIRED',
  'TOKEN_INVALID',
  'UNAUTHENTICATED',
  'SESSION_ENDED',
]);

/**
 * The answer's stable code; an answer without one (a proxy's page, a server shutting down) is
 * named by its status, so a 503 reads as the outage it is rather than as a bug.
 */
function toErrorCode(code: unknown, status: number): ErrorCode {
  if (typeof code === 'string' && (ERROR_CODES as string[]).includes(code)) return code as ErrorCode;
  if (status === 503 || status === 502 || status === 504) return 'SERVICE_UNAVAILABLE';
  if (status === 429) return 'RATE_LIMITED';
  if (status === 413) return 'PAYLOAD_TOO_LARGE';
  if (status === 401) return 'UNAUTHENTICATED';
  return 'INTERNAL';
}

/** A refusal (`{error: {code, message, details}}`) as the GatehouseError it names. */
export async function errorFromResponse(response: Response): Promise<GatehouseError> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error;
  const message = typeof error?.message === 'string' ? error.message : `Server answered ${response.status}`;
  // The server's details name the input at fault; a form marks those fields, so they are kept.
  const details = errorDetailsSchema.safeParse(error?.details);
  return new GatehouseError(
    toErrorCode(error?.code, response.status),
    message,
    details.success && details.data.length > 0 ? details.data : undefined,
  );
}

/** Throws the answer's GatehouseError unless it is a success (2xx). */
export async function expectOk(response: Response): Promise<Response> {
  if (!response.ok) throw await errorFromResponse(response);
  return response;
}

/** A successful JSON answer checked against `schema`; INTERNAL (naming `path`) when it does not match. */
export async function jsonAnswer<S extends z.ZodType>(
  response: Response,
  schema: S,
  path: string,
): Promise<z.infer<S>> {
  const parsed = schema.safeParse(await (await expectOk(response)).json());
  if (!parsed.success) throw new GatehouseError('INTERNAL', `Unexpected answer from the server for ${path}`);
  return parsed.data;
}
