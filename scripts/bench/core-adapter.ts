import type { RpcMethod, RpcParams, RpcResult } from '@gatehouse/protocol';
import { createRpcDispatcher, MemoryTokenStore, openCore } from '../../electron/core/index';

/**
 * Opens a real core the way a host does — `openCore` plus the RPC dispatcher — and exposes a typed
 * `invoke` that goes through the dispatcher (frame and parameter validation included), so the bench
 * measures what the UI waits for, minus only the transport.
 */
export async function openBenchCore(dataDir: string): Promise<{
  invoke: <M extends RpcMethod>(method: M, params: RpcParams<M>) => Promise<RpcResult<M>>;
  close: () => Promise<void>;
}> {
  const core = await openCore({
    dataDir,
    tokenStore: new MemoryTokenStore(),
    // Offline unlock is not measured; its verifier need not cost 60 ms of every sign-in.
    verifierCost: 2 ** 10,
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
  };
}
