import type { RpcMethod, RpcParams, RpcResult } from '@gatehouse/protocol';
import { createRpcDispatcher, MemoryTokenStore, openCore } from '../../electron/core/index';
import { defaultWebSocket, type WebSocketFactory } from '../../electron/core/sync/live';

/**
 * The core's live socket (`ws`, as the app's), with every poke it receives counted before the core
 * hears of it: a measure reads the count to pair pokes with the pulls they led to.
 */
function countingWebSocket(onPoke: () => void): WebSocketFactory {
  return class {
    constructor(url: string) {
      const socket = new defaultWebSocket(url);
      socket.addEventListener('message', (event) => {
        if (String(event.data).includes('"type":"poke"')) onPoke();
      });
      // A constructor may return another object: the core gets the real socket, listener attached.
      return socket;
    }
  } as unknown as WebSocketFactory;
}

/**
 * Opens a real core the way a host does — `openCore` plus the RPC dispatcher — and exposes a typed
 * `invoke` that goes through the dispatcher (frame and parameter validation included), so the bench
 * measures what the UI waits for, minus only the transport.
 */
export async function openBenchCore(dataDir: string): Promise<{
  invoke: <M extends RpcMethod>(method: M, params: RpcParams<M>) => Promise<RpcResult<M>>;
  close: () => Promise<void>;
  /** Pokes received over the live socket so far. */
  pokes: () => number;
  /**
   * Calls `listener` with the tables of each `data.changed` the core emits (what the UI hears once a
   * change is committed); answers the unsubscribe.
   */
  onDataChanged: (listener: (tables: readonly string[]) => void) => () => void;
}> {
  let pokes = 0;
  const core = await openCore({
    dataDir,
    tokenStore: new MemoryTokenStore(),
    // Offline unlock is not measured; its verifier need not cost 60 ms of every sign-in.
    verifierCost: 2 ** 10,
    WebSocketImpl: countingWebSocket(() => {
      pokes += 1;
    }),
    log: (level, message) => {
      if (level !== 'info') process.stderr.write(`[core ${level}] ${message}\n`);
    },
  });
  const dispatcher = createRpcDispatcher(core);
  let nextId = 1;
  return {
    async invoke(method, params) {
      const response = await dispatcher.dispatch({ type: 'request', id: nextId++, method, params });
      if (!response.ok) throw new Error(`${method}: ${response.error.code} ${response.error.message}`);
      return response.result as RpcResult<typeof method>;
    },
    close: () => core.close(),
    pokes: () => pokes,
    onDataChanged: (listener) => core.on('data.changed', (change) => listener(change.tables)),
  };
}
