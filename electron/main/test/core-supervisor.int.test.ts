import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RpcServerFrame, ShellStatus } from '@gatehouse/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { CoreSupervisor, type CoreChild } from '../core-supervisor';
import { decideTokenStorage } from '../security/token-storage';
import { TokenVault } from '../token-vault';

/**
 * The supervisor around the real core entry (electron/core/process.ts) with a real SQLite file. The
 * core runs under Node IPC here, where it speaks the same frames as over Electron's parentPort.
 */
const REAL_CORE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'core', 'process.ts');
const children: ChildProcess[] = [];
let supervisor: CoreSupervisor | null = null;

afterEach(() => {
  supervisor?.stop();
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

function spawnRealCore(dataDir: string): CoreChild {
  const child = fork(REAL_CORE, [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: { ...process.env, GATEHOUSE_CORE_DATA_DIR: dataDir, GATEHOUSE_CORE_AUTO_SYNC: '0', GATEHOUSE_CORE_LIVE: '0' },
  });
  children.push(child);
  return {
    postMessage: (message) => child.connected && child.send(message as object),
    onMessage: (listener) => child.on('message', listener),
    onExit: (listener) => child.on('exit', (code) => listener(code)),
    kill: () => child.kill(),
  };
}

async function waitFor<T>(read: () => T | undefined, what: string): Promise<T> {
  for (let attempt = 0; attempt < 3_000; attempt++) {
    const value = read();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('CoreSupervisor with the real core', () => {
  it('serves RPC and, after a kill -9, restarts core on the same local data', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-real-core-'));
    const frames: RpcServerFrame[] = [];
    supervisor = new CoreSupervisor({
      spawn: () => spawnRealCore(dataDir),
      vault: new TokenVault(dataDir, decideTokenStorage({ platform: 'linux', encryptionAvailable: false }), {
        encryptString: () => Buffer.alloc(0),
        decryptString: () => '',
      }),
      toRenderer: (frame) => frames.push(frame),
      restartDelayMs: () => 10,
    });
    const responseTo = (id: number) =>
      waitFor(() => frames.find((frame) => frame.type === 'response' && frame.id === id), `response ${id}`) as Promise<{
        ok: boolean;
        result: { deviceId: string; user: unknown };
      }>;
    supervisor.start();

    supervisor.fromRenderer({ type: 'request', id: 1, method: 'session.get', params: {} });
    const before = await responseTo(1);
    expect(before).toMatchObject({ ok: true, result: { user: null } });

    children.at(-1)!.kill('SIGKILL');
    await waitFor(
      () =>
        frames.find(
          (frame) =>
            frame.type === 'event' &&
            frame.topic === 'shell.status' &&
            (frame.payload as ShellStatus).coreRestarts === 1,
        ),
      'restart notice after kill -9',
    );
    supervisor.fromRenderer({ type: 'request', id: 2, method: 'session.get', params: {} });
    const after = await responseTo(2);
    expect(after.ok).toBe(true);
    expect(after.result.deviceId).toBe(before.result.deviceId);
  }, 90_000);
});
