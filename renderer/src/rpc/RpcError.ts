import type { ErrorCode } from '@gatehouse/protocol';

/** What every failed `invoke` rejects with, whatever the transport: a stable code and the core's message. */
export class RpcError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'RpcError';
    this.code = code;
  }
}

/** Electron's IPC and the WebSocket both deliver plain `{ code, message }` objects; this restores the class. */
export function toRpcError(error: unknown): RpcError {
  if (error instanceof RpcError) return error;
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') {
    const message = 'message' in error && typeof error.message === 'string' ? error.message : error.code;
    return new RpcError(error.code as ErrorCode, message);
  }
  return new RpcError('INTERNAL', error instanceof Error ? error.message : String(error));
}
