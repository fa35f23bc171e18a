import type {
  ChosenSaveFile,
  GatehouseBridge,
  RpcMethod,
  RpcParams,
  RpcRequestFrame,
  RpcResult,
  RpcTopic,
  RpcTopicPayload,
} from '@gatehouse/protocol';
// The one module of protocol's that preload needs at run time: not its index (zod and the rest).
import { PendingRequests } from '@gatehouse/protocol/pending';

/**
 * The renderer's whole view of the machine: `invoke` and `subscribe`, nothing else. Built from an
 * injected IPC (Electron's ipcRenderer in preload/index.ts, a fake in tests) so it can be tested
 * without Electron. No IPC object, event or Node value ever reaches the page: listeners receive plain
 * payloads and the only things returned are promises of plain data and an unsubscribe function.
 */
export const RPC_TO_MAIN_CHANNEL = 'gatehouse:rpc';
export const RPC_FROM_MAIN_CHANNEL = 'gatehouse:frame';
/** Renderer → main (invoke): show the save dialog for an export (main/save-dialog.ts). */
export const SAVE_FILE_CHANNEL = 'gatehouse:choose-save-file';

export interface BridgeIpc {
  send(channel: string, frame: RpcRequestFrame): void;
  on(channel: string, listener: (event: unknown, frame: unknown) => void): void;
  invoke(channel: string, request: unknown): Promise<unknown>;
}

type BridgeError = { code: string; message: string };

/**
 * Main's answer to the save dialog (main/save-dialog.ts SaveDialogAnswer) as plain values: the
 * chosen file's token and name, null when cancelled, or a rejection with a code.
 */
function chosenFile(answer: unknown): ChosenSaveFile | null {
  const { ok, chosen, error } = (answer ?? {}) as { ok?: unknown; chosen?: unknown; error?: unknown };
  if (ok === true && chosen === null) return null;
  if (ok === true && chosen && typeof chosen === 'object') {
    const { token, fileName } = chosen as { token?: unknown; fileName?: unknown };
    if (typeof token === 'string' && typeof fileName === 'string') return { token, fileName };
  }
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  throw {
    code: typeof code === 'string' ? code : 'INTERNAL',
    message: typeof message === 'string' ? message : 'The save dialog failed',
  } satisfies BridgeError;
}

/** Topics whose last value is replayed to a late subscriber (the shell tells it once, at load). */
const STICKY_TOPICS: ReadonlySet<string> = new Set<RpcTopic>(['shell.status']);

type PlainDetail = { path?: string; message: string };

/**
 * Copies only well-formed `{path?, message}` entries (at most 20, as the core sends), so nothing but
 * plain strings reaches the page; without zod, which preload does not load.
 */
function plainDetails(details: unknown): PlainDetail[] {
  if (!Array.isArray(details)) return [];
  const plain: PlainDetail[] = [];
  for (const entry of details.slice(0, 20) as unknown[]) {
    if (!entry || typeof entry !== 'object') continue;
    const { path, message } = entry as { path?: unknown; message?: unknown };
    if (typeof message !== 'string') continue;
    plain.push(typeof path === 'string' ? { path, message } : { message });
  }
  return plain;
}

export function createBridge(ipc: BridgeIpc): GatehouseBridge {
  const pending = new PendingRequests<{ code: string; message: string; details?: PlainDetail[] }>();
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const lastSticky = new Map<string, unknown>();

  ipc.on(RPC_FROM_MAIN_CHANNEL, (_event, frame) => {
    if (!frame || typeof frame !== 'object') return;
    const message = frame as Record<string, unknown>;
    if (message.type === 'response' && typeof message.id === 'number') {
      if (message.ok === true) {
        pending.settle(message.id, { ok: true, value: message.result });
      } else {
        const error = (message.error ?? {}) as { code?: unknown; message?: unknown; details?: unknown };
        const details = plainDetails(error.details);
        pending.settle(message.id, {
          ok: false,
          error: {
            code: typeof error.code === 'string' ? error.code : 'INTERNAL',
            message: typeof error.message === 'string' ? error.message : 'Unknown error',
            ...(details.length > 0 ? { details } : {}),
          },
        });
      }
    } else if (message.type === 'event' && typeof message.topic === 'string') {
      if (STICKY_TOPICS.has(message.topic)) lastSticky.set(message.topic, message.payload);
      for (const listener of listeners.get(message.topic) ?? []) {
        try {
          listener(message.payload);
        } catch (error) {
          console.error(`gatehouse: a "${message.topic}" listener failed`, error);
        }
      }
    }
  });

  return {
    invoke<M extends RpcMethod>(method: M, params: RpcParams<M>): Promise<RpcResult<M>> {
      // Main answers every request (SERVICE_UNAVAILABLE while core restarts), so no time limit here.
      const { id, answer } = pending.start<RpcResult<M>>(null, () => ({ code: 'INTERNAL', message: 'unreachable' }));
      try {
        ipc.send(RPC_TO_MAIN_CHANNEL, { type: 'request', id, method: String(method), params });
      } catch (error) {
        // Not sent (e.g. params that cannot be cloned): a rejected call, nothing left waiting.
        pending.settle(id, { ok: false, error: { code: 'VALIDATION_FAILED', message: String(error) } });
      }
      return answer;
    },
    async chooseSaveFile(request) {
      // Only the one string crosses; main checks it again.
      return chosenFile(await ipc.invoke(SAVE_FILE_CHANNEL, { suggestedName: String(request.suggestedName) }));
    },
    subscribe<T extends RpcTopic>(topic: T, listener: (payload: RpcTopicPayload<T>) => void): () => void {
      const forTopic = listeners.get(topic) ?? new Set<(payload: unknown) => void>();
      const wrapped = (payload: unknown) => listener(payload as RpcTopicPayload<T>);
      forTopic.add(wrapped);
      listeners.set(topic, forTopic);
      if (lastSticky.has(topic)) queueMicrotask(() => forTopic.has(wrapped) && wrapped(lastSticky.get(topic)));
      return () => {
        forTopic.delete(wrapped);
      };
    },
  };
}
