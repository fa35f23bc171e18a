import {
  ERROR_CODES,
  type ErrorCode,
  type ErrorDetail,
  GatehouseError,
  type RpcEventFrame,
  type RpcMethod,
  type RpcResponseFrame,
  type RpcTopic,
  rpcMethods,
  rpcRequestFrameSchema,
  describeDetails,
  zodIssuesToDetails,
} from '@gatehouse/protocol';
import type { Core } from '../core';
import { adminHandlers } from './handlers/admin';
import { alertHandlers } from './handlers/alerts';
import { bookingHandlers } from './handlers/bookings';
import { checkinHandlers } from './handlers/checkin';
import { eventHandlers } from './handlers/events';
import { photoHandlers } from './handlers/photos';
import { photoImportHandlers } from './handlers/photo-imports';
import { importHandlers } from './handlers/imports';
import { exportHandlers } from './handlers/exports';
import { profileHandlers } from './handlers/profile';
import { sessionHandlers } from './handlers/session';
import { syncHandlers } from './handlers/sync';
import { combineHandlers, type RpcHandler, type RpcHandlers, type RpcScope } from './types';

const handlers: RpcHandlers<RpcMethod> = combineHandlers(
  sessionHandlers,
  eventHandlers,
  bookingHandlers,
  importHandlers,
  checkinHandlers,
  syncHandlers,
  alertHandlers,
  adminHandlers,
  profileHandlers,
  photoHandlers,
  photoImportHandlers,
  exportHandlers,
);

const TOPICS: RpcTopic[] = ['sync.status', 'data.changed', 'session.changed'];

export type RpcDispatcher = {
  dispatch(frame: unknown): Promise<RpcResponseFrame>;
  onEvent(listener: (frame: RpcEventFrame) => void): () => void;
};

function isMethod(name: string): name is RpcMethod {
  return Object.hasOwn(rpcMethods, name);
}

/** `details` travel to the renderer so a form can mark the field each one names. */
function failure(id: number, code: ErrorCode, message: string, details?: readonly ErrorDetail[]): RpcResponseFrame {
  return {
    type: 'response',
    id,
    ok: false,
    error: { code, message, ...(details?.length ? { details: [...details] } : {}) },
  };
}

/**
 * The transport-agnostic server side of the RPC contract: Electron IPC, the browser host's WebSocket
 * and tests all feed frames in here. Never throws; every failure becomes an error frame.
 */
export function createRpcDispatcher(
  core: Core,
  log: (message: string) => void = () => undefined,
  options: {
    /**
     * Check every result against its schema in `protocol/src/rpc/` before it leaves: `fail` answers INTERNAL (tests,
     * where a wrong shape must fail loudly), `log` only logs it — the write a command made is done,
     * so the caller must not be told it failed and do it again —, `off` skips the check. Default:
     * `fail` under the test runner, `off` when NODE_ENV=production (the packaged core's bundle sets
     * it), else `log`.
     */
    checkResults?: 'fail' | 'log' | 'off';
  } = {},
): RpcDispatcher {
  const scope: RpcScope = { session: core, account: () => core.requireAccount() };
  const checkResults =
    options.checkResults ?? (process.env.VITEST ? 'fail' : process.env.NODE_ENV === 'production' ? 'off' : 'log');
  return {
    async dispatch(input) {
      const frame = rpcRequestFrameSchema.safeParse(input);
      const id = typeof (input as { id?: unknown })?.id === 'number' ? (input as { id: number }).id : -1;
      if (!frame.success) return failure(id, 'VALIDATION_FAILED', 'Malformed RPC request frame');
      const { method } = frame.data;
      if (!isMethod(method)) return failure(id, 'NOT_FOUND', `Unknown method ${method}`);
      const params = rpcMethods[method].params.safeParse(frame.data.params ?? {});
      if (!params.success) {
        const details = zodIssuesToDetails(params.error.issues);
        return failure(id, 'VALIDATION_FAILED', `Invalid params for ${method}: ${describeDetails(details)}`, details);
      }
      try {
        const handler = handlers[method] as RpcHandler<RpcMethod>;
        const result = await handler(scope, params.data as never);
        if (checkResults !== 'off') {
          const checked = rpcMethods[method].result.safeParse(result);
          if (!checked.success) {
            const detail = describeDetails(zodIssuesToDetails(checked.error.issues));
            log(`rpc ${method} answered outside its contract: ${detail}`);
            if (checkResults === 'fail') {
              return failure(id, 'INTERNAL', `Core answered ${method} outside its contract: ${detail}`);
            }
          }
        }
        return { type: 'response', id, ok: true, result };
      } catch (error) {
        if (error instanceof GatehouseError && (ERROR_CODES as string[]).includes(error.code)) {
          return failure(id, error.code, error.message, error.details);
        }
        log(`rpc ${method} failed: ${(error as Error)?.stack ?? String(error)}`);
        return failure(id, 'INTERNAL', `Internal error in core while running ${method}`);
      }
    },
    onEvent(listener) {
      const unsubscribers = TOPICS.map((topic) =>
        core.on(topic, (payload) => listener({ type: 'event', topic, payload })),
      );
      return () => unsubscribers.forEach((unsubscribe) => unsubscribe());
    },
  };
}
