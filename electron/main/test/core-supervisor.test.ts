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

const HERE = path.dirname(fileURLToPath(import.meta.url));
const STAND_IN_CORE = path.join(HERE, 'fixtures', 'stand-in-core.mjs');
const children: ChildProcess[] = [];

/** Real child processes in place of Electron's utilityProcess, which cannot start without Electron. */
function spawnStandInCore(): CoreChild {
  return adapt(fork(STAND_IN_CORE, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
}

function adapt(child: ChildProcess): CoreChild {
  children.push(child);
  return {
    postMessage: (message) => child.connected && child.send(message as object),
    onMessage: (listener) => child.on('message', listener),
    onExit: (listener) => child.on('exit', (code) => listener(code)),
    kill: () => child.kill(),
  };
}

async function waitFor<T>(read: () => T | undefined, what: string): Promise<T> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const value = read();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function harness(options: { maxRestarts?: number; linuxBackend?: string; spawn?: () => CoreChild } = {}) {
  const frames: RpcServerFrame[] = [];
  const vault = new TokenVault(
    mkdtempSync(path.join(tmpdir(), 'gatehouse-supervisor-')),
    decideTokenStorage({
      platform: 'linux',
      encryptionAvailable: true,
      linuxBackend: options.linuxBackend ?? 'basic_text',
    }),
    {
      encryptString: (plain) => Buffer.from(plain).reverse(),
      decryptString: (data) => Buffer.from(data).reverse().toString(),
    },
  );
  const supervisor = new CoreSupervisor({
    spawn: options.spawn ?? spawnStandInCore,
    vault,
    toRenderer: (frame) => frames.push(frame),
    restartDelayMs: () => 5,
    ...(options.maxRestarts === undefined ? {} : { maxRestarts: options.maxRestarts }),
  });
  const responseTo = (id: number) =>
    waitFor(() => frames.find((frame) => frame.type === 'response' && frame.id === id), `response ${id}`);
  const statuses = () =>
    frames
      .filter((frame) => frame.type === 'event' && frame.topic === 'shell.status')
      .map((frame) => (frame as { payload: ShellStatus }).payload);
  return { supervisor, frames, vault, responseTo, statuses };
}

let running: CoreSupervisor | null = null;
afterEach(() => {
  running?.stop();
  running = null;
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

describe('CoreSupervisor', () => {
  it('relays a request to core and the answer back under the renderer’s id', async () => {
    const { supervisor, responseTo } = harness();
    running = supervisor;
    supervisor.start();
    supervisor.fromRenderer({ type: 'request', id: 41, method: 'session.get', params: {} });
    const response = await responseTo(41);
    expect(response).toMatchObject({ type: 'response', id: 41, ok: true, result: { params: {} } });
  });

  it('forwards known topics from core and drops unknown frames', async () => {
    const { supervisor, frames, responseTo } = harness();
    running = supervisor;
    supervisor.start();
    supervisor.fromRenderer({ type: 'request', id: 1, method: 'session.get', params: {} });
    await responseTo(1);
    const events = frames.filter((frame) => frame.type === 'event');
    expect(events.map((frame) => (frame as { topic: string }).topic)).toEqual(['sync.status']);
  });

  it('answers unknown methods itself and ignores malformed frames', async () => {
    const { supervisor, frames, responseTo } = harness();
    running = supervisor;
    supervisor.start();
    for (const junk of [
      null,
      'x',
      { type: 'request' },
      { type: 'request', id: 'a', method: 'session.get', params: {} },
      { type: 'request', id: 2, method: 'session.get', params: {}, extra: 1 },
    ]) {
      supervisor.fromRenderer(junk);
    }
    supervisor.fromRenderer({ type: 'request', id: 3, method: 'process.exit', params: {} });
    expect(await responseTo(3)).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    supervisor.fromRenderer({ type: 'request', id: 4, method: 'session.get', params: {} });
    await responseTo(4);
    expect(frames.filter((frame) => frame.type === 'response').map((frame) => (frame as { id: number }).id)).toEqual([
      3, 4,
    ]);
  });

  it('relays core’s token requests to the vault (memory only under basic_text)', async () => {
    const { supervisor, vault, responseTo } = harness({ linuxBackend: 'basic_text' });
    running = supervisor;
    supervisor.start();
    supervisor.fromRenderer({ type: 'request', id: 1, method: 'session.unlock', params: { password: 'refresh-123' } });
    expect(await responseTo(1)).toMatchObject({ ok: true, result: { saved: true } });
    expect(vault.get('refreshToken')).toBe('refresh-123');
    supervisor.fromRenderer({ type: 'request', id: 2, method: 'session.signOut', params: {} });
    expect(await responseTo(2)).toMatchObject({ ok: true, result: { refreshToken: 'refresh-123' } });
    expect(supervisor.status).toMatchObject({ tokenStorage: 'memoryOnly' });
    expect(supervisor.status.tokenStorageReason).toMatch(/keyring/);
  });

  it('answers in-flight requests when core crashes, restarts it, and tells the UI', async () => {
    const { supervisor, responseTo, statuses, vault } = harness();
    running = supervisor;
    supervisor.start();
    supervisor.fromRenderer({ type: 'request', id: 1, method: 'session.get', params: {} });
    const firstPid = ((await responseTo(1)) as { result: { pid: number } }).result.pid;
    vault.set('refreshToken', 'survives-a-core-crash');

    supervisor.fromRenderer({ type: 'request', id: 2, method: 'sync.now', params: {} });
    expect(await responseTo(2)).toMatchObject({ ok: false, error: { code: 'SERVICE_UNAVAILABLE' } });
    const restarted = await waitFor(() => statuses().find((status) => status.coreRestarts === 1), 'restart notice');
    expect(restarted.coreDownReason).toBeNull();
    expect(restarted.lastCoreRestartAt).not.toBeNull();
    expect(statuses().some((status) => status.coreDownReason?.includes('exit code 3'))).toBe(true);

    supervisor.fromRenderer({ type: 'request', id: 3, method: 'session.get', params: {} });
    const secondPid = ((await responseTo(3)) as { result: { pid: number } }).result.pid;
    expect(secondPid).not.toBe(firstPid);
    supervisor.fromRenderer({ type: 'request', id: 4, method: 'session.signOut', params: {} });
    expect(await responseTo(4)).toMatchObject({ result: { refreshToken: 'survives-a-core-crash' } });
  });

  it('gives up after repeated crashes and says so', async () => {
    const { supervisor, responseTo, statuses } = harness({ maxRestarts: 1 });
    running = supervisor;
    supervisor.start();
    supervisor.fromRenderer({ type: 'request', id: 1, method: 'sync.now', params: {} });
    await responseTo(1);
    await waitFor(() => statuses().find((status) => status.coreRestarts === 1), 'first restart');
    supervisor.fromRenderer({ type: 'request', id: 2, method: 'sync.now', params: {} });
    await responseTo(2);
    const gaveUp = await waitFor(
      () => statuses().find((status) => status.coreDownReason?.includes('restart the app')),
      'give-up notice',
    );
    expect(gaveUp.coreRestarts).toBe(1);
    expect(supervisor.running).toBe(false);
    supervisor.fromRenderer({ type: 'request', id: 3, method: 'session.get', params: {} });
    expect(await responseTo(3)).toMatchObject({
      ok: false,
      error: { code: 'SERVICE_UNAVAILABLE', message: expect.stringContaining('restart the app') },
    });
  });

  it('does not restart core after an intentional stop', async () => {
    const { supervisor, responseTo, statuses } = harness();
    supervisor.start();
    supervisor.fromRenderer({ type: 'request', id: 1, method: 'session.get', params: {} });
    await responseTo(1);
    supervisor.stop();
    supervisor.fromRenderer({ type: 'request', id: 2, method: 'session.get', params: {} });
    expect(await responseTo(2)).toMatchObject({ ok: false, error: { code: 'SERVICE_UNAVAILABLE' } });
    expect(supervisor.running).toBe(false);
    expect(statuses()).toEqual([]);
  });
});
