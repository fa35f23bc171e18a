import { errorDetailsSchema, type ErrorCode, type ErrorDetail } from '@gatehouse/protocol';

/**
 * What every failed `invoke` rejects with, whatever the transport: a stable code, the core's
 * message and, for VALIDATION_FAILED, the inputs at fault (`path` dot-joined as zod names it, e.g.
 * `attendee.email`), so a form can mark each field.
 */
export class RpcError extends Error {
  readonly code: ErrorCode;
  readonly details: readonly ErrorDetail[];
  constructor(code: ErrorCode, message: string, details: readonly ErrorDetail[] = []) {
    super(message);
    this.name = 'RpcError';
    this.code = code;
    this.details = details;
  }
}

/** Only well-formed `{path?, message}` entries; anything else a bridge passed is dropped. */
function detailsOf(error: object): ErrorDetail[] {
  const details = errorDetailsSchema.safeParse('details' in error ? error.details : undefined);
  return details.success ? details.data : [];
}

/** Electron's IPC and the WebSocket both deliver plain `{ code, message, details? }` objects; this restores the class. */
export function toRpcError(error: unknown): RpcError {
  if (error instanceof RpcError) return error;
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') {
    const message = 'message' in error && typeof error.message === 'string' ? error.message : error.code;
    return new RpcError(error.code as ErrorCode, message, detailsOf(error));
  }
  return new RpcError('INTERNAL', error instanceof Error ? error.message : String(error));
}
