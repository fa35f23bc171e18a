/**
 * Runnable entry of the core: `node --import tsx electron/core/process.ts`, or Electron's
 * utilityProcess. Opens the core from GATEHOUSE_CORE_DATA_DIR and speaks RPC frames over
 * `process.parentPort` (utilityProcess; messages arrive as `{ data }`) or Node IPC (`process.send`).
 *
 * Tokens: under a parent port they live in main's safeStorage, reached with `tokenStore.request`
 * frames; under Node IPC (browser host, tests) in a 0600 file, GATEHOUSE_CORE_TOKEN_FILE or
 * `<dataDir>/tokens.json`.
 */
import path from 'node:path';
import {
  PendingRequests,
  saveTargetGrantFrameSchema,
  type TokenStoreRequestFrame,
  type TokenStoreResponseFrame,
} from '@gatehouse/protocol';
import { type Core, openCore } from './core';
import { createRpcDispatcher } from './rpc/dispatcher';
import { FileTokenStore, type TokenStore } from './tokens';

type ParentPort = {
  on(event: 'message', listener: (message: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
};

const TOKEN_REQUEST_TIMEOUT_MS = 10_000;

/** Asks Electron main, which holds tokens encrypted with safeStorage. */
class ParentPortTokenStore implements TokenStore {
  private readonly waiting = new PendingRequests<Error>();
  constructor(private readonly port: ParentPort) {}

  handle(frame: TokenStoreResponseFrame): void {
    this.waiting.settle(
      frame.id,
      frame.ok ? { ok: true, value: frame.value } : { ok: false, error: new Error(frame.message) },
    );
  }

  private call(
    request: { op: 'get'; key: string } | { op: 'set'; key: string; value: string } | { op: 'delete'; key: string },
  ): Promise<string | null> {
    const { id, answer } = this.waiting.start<string | null>(
      TOKEN_REQUEST_TIMEOUT_MS,
      () => new Error('token store did not answer'),
    );
    const frame: TokenStoreRequestFrame = { type: 'tokenStore.request', id, ...request };
    try {
      this.port.postMessage(frame);
    } catch (error) {
      this.waiting.settle(id, { ok: false, error: error as Error });
    }
    return answer;
  }
  get(key: string) {
    return this.call({ op: 'get', key });
  }
  async set(key: string, value: string) {
    await this.call({ op: 'set', key, value });
  }
  async delete(key: string) {
    await this.call({ op: 'delete', key });
  }
}

async function main(): Promise<void> {
  const dataDir = process.env.GATEHOUSE_CORE_DATA_DIR;
  if (!dataDir) throw new Error('GATEHOUSE_CORE_DATA_DIR must name the data folder');
  const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
  const portTokens = parentPort ? new ParentPortTokenStore(parentPort) : null;
  const send: (frame: unknown) => void = parentPort
    ? (frame) => parentPort.postMessage(frame)
    : (frame) => process.send?.(frame);
  const pending: unknown[] = [];
  let deliver: (message: unknown) => void = (message) => pending.push(message);
  let core: Core | null = null;
  const receive = (message: unknown) => {
    const type = (message as { type?: unknown })?.type;
    if (type === 'tokenStore.response') {
      portTokens?.handle(message as TokenStoreResponseFrame);
      return;
    }
    if (type === 'saveTarget.grant') {
      // Only main grants files (its save dialog); Node IPC (browser host, tests) has no main.
      const grant = saveTargetGrantFrameSchema.safeParse(message);
      if (parentPort && grant.success) core?.saveTargets.grant(grant.data.token, grant.data.path);
      return;
    }
    deliver(message);
  };
  if (parentPort) parentPort.on('message', (event) => receive(event.data));
  else process.on('message', receive);
  if (!parentPort) process.on('disconnect', () => process.exit(0));

  const numberFromEnv = (name: string): number | undefined =>
    process.env[name] ? Number(process.env[name]) : undefined;
  core = await openCore({
    dataDir,
    tokenStore:
      portTokens ?? new FileTokenStore(process.env.GATEHOUSE_CORE_TOKEN_FILE ?? path.join(dataDir, 'tokens.json')),
    pullLimit: numberFromEnv('GATEHOUSE_CORE_PULL_LIMIT'),
    initialPullLimit: numberFromEnv('GATEHOUSE_CORE_INITIAL_PULL_LIMIT'),
    pollMs: numberFromEnv('GATEHOUSE_CORE_POLL_MS'),
    liveSync: process.env.GATEHOUSE_CORE_LIVE !== '0',
    autoSync: process.env.GATEHOUSE_CORE_AUTO_SYNC !== '0',
    verifierCost: numberFromEnv('GATEHOUSE_CORE_VERIFIER_COST'),
    log: (level, message) => console[level === 'info' ? 'log' : level](`[core] ${message}`),
  });
  const dispatcher = createRpcDispatcher(core, (message) => console.error(`[core] ${message}`));
  dispatcher.onEvent((frame) => send(frame));
  deliver = (message) => {
    void dispatcher.dispatch(message).then(send);
  };
  for (const message of pending.splice(0)) deliver(message);

  const shutdown = () => {
    void core.close().finally(() => process.exit(0));
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  console.error(`[core] failed to start: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
});
