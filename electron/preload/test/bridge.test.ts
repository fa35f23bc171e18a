import { rpcRequestFrameSchema, type RpcRequestFrame } from '@gatehouse/protocol';
import { describe, expect, it, vi } from 'vitest';
import { createBridge, RPC_FROM_MAIN_CHANNEL, RPC_TO_MAIN_CHANNEL, SAVE_FILE_CHANNEL, type BridgeIpc } from '../bridge';

/** An IPC pair standing in for ipcRenderer: records what the page sends, lets the test answer as main. */
function fakeIpc(mainAnswers: (channel: string, request: unknown) => unknown = () => null) {
  const sent: Array<{ channel: string; frame: RpcRequestFrame }> = [];
  const invoked: Array<{ channel: string; request: unknown }> = [];
  const listeners = new Map<string, (event: unknown, frame: unknown) => void>();
  const ipc: BridgeIpc = {
    send: (channel, frame) => sent.push({ channel, frame }),
    on: (channel, listener) => listeners.set(channel, listener),
    invoke: async (channel, request) => {
      invoked.push({ channel, request });
      return mainAnswers(channel, request);
    },
  };
  const fromMain = (frame: unknown) => listeners.get(RPC_FROM_MAIN_CHANNEL)!({ sender: 'ipc-event' }, frame);
  return { ipc, sent, invoked, listeners, fromMain };
}

describe('preload', () => {
  it('exposes exactly one key, `gatehouse`, holding only invoke, subscribe and chooseSaveFile', async () => {
    const exposed: Record<string, unknown> = {};
    vi.resetModules();
    vi.doMock('electron', () => ({
      contextBridge: { exposeInMainWorld: (key: string, api: unknown) => (exposed[key] = api) },
      ipcRenderer: { send: () => {}, on: () => {}, invoke: async () => null },
    }));
    await import('../index');
    vi.doUnmock('electron');
    expect(Object.keys(exposed)).toEqual(['gatehouse']);
    const bridge = exposed.gatehouse as Record<string, unknown>;
    expect(Object.keys(bridge).sort()).toEqual(['chooseSaveFile', 'invoke', 'subscribe']);
    expect(typeof bridge.invoke).toBe('function');
    expect(typeof bridge.subscribe).toBe('function');
  });
});

describe('createBridge', () => {
  it('sends well-formed request frames with increasing ids on one channel', () => {
    const { ipc, sent } = fakeIpc();
    const bridge = createBridge(ipc);
    void bridge.invoke('session.get', {});
    void bridge.invoke('events.list', { q: 'jazz' });
    expect(sent.map((entry) => entry.channel)).toEqual([RPC_TO_MAIN_CHANNEL, RPC_TO_MAIN_CHANNEL]);
    for (const { frame } of sent) expect(rpcRequestFrameSchema.safeParse(frame).success).toBe(true);
    expect(sent.map(({ frame }) => [frame.id, frame.method, frame.params])).toEqual([
      [1, 'session.get', {}],
      [2, 'events.list', { q: 'jazz' }],
    ]);
  });

  it('resolves and rejects by id, with plain { code, message } errors', async () => {
    const { ipc, sent, fromMain } = fakeIpc();
    const bridge = createBridge(ipc);
    const first = bridge.invoke('session.get', {});
    const second = bridge.invoke('sync.now', {});
    fromMain({ type: 'response', id: sent[1]!.frame.id, ok: false, error: { code: 'OFFLINE', message: 'No network' } });
    fromMain({ type: 'response', id: sent[0]!.frame.id, ok: true, result: { deviceId: 'd1' } });
    await expect(first).resolves.toEqual({ deviceId: 'd1' });
    await expect(second).rejects.toEqual({ code: 'OFFLINE', message: 'No network' });
  });

  it('passes the inputs at fault on with a refusal, as plain strings only', async () => {
    const { ipc, sent, fromMain } = fakeIpc();
    const bridge = createBridge(ipc);
    const answer = bridge.invoke('session.get', {});
    const details = [{ path: 'attendee.email', message: 'Invalid email address' }, { message: 7 }, { message: 'x' }];
    const error = { code: 'VALIDATION_FAILED', message: 'Invalid params', details };
    fromMain({ type: 'response', id: sent[0]!.frame.id, ok: false, error });
    await expect(answer).rejects.toEqual({
      code: 'VALIDATION_FAILED',
      message: 'Invalid params',
      details: [{ path: 'attendee.email', message: 'Invalid email address' }, { message: 'x' }],
    });
  });

  it('ignores malformed frames and answers for unknown ids', async () => {
    const { ipc, sent, fromMain } = fakeIpc();
    const bridge = createBridge(ipc);
    const pending = bridge.invoke('session.get', {});
    for (const junk of [
      null,
      'x',
      42,
      { type: 'response' },
      { type: 'response', id: 999, ok: true },
      { type: 'event' },
    ]) {
      fromMain(junk);
    }
    fromMain({ type: 'response', id: sent[0]!.frame.id, ok: false, error: 'not an object' });
    await expect(pending).rejects.toEqual({ code: 'INTERNAL', message: 'Unknown error' });
  });

  it('delivers topic payloads (never the IPC event) to subscribers until they unsubscribe', () => {
    const { ipc, fromMain } = fakeIpc();
    const bridge = createBridge(ipc);
    const received: unknown[] = [];
    const unsubscribe = bridge.subscribe('data.changed', (payload) => received.push(payload));
    fromMain({ type: 'event', topic: 'data.changed', payload: { tables: ['events'], eventIds: ['e1'] } });
    fromMain({ type: 'event', topic: 'sync.status', payload: { other: true } });
    unsubscribe();
    fromMain({ type: 'event', topic: 'data.changed', payload: { tables: ['bookings'], eventIds: [] } });
    expect(received).toEqual([{ tables: ['events'], eventIds: ['e1'] }]);
  });

  it('replays the last shell.status to a late subscriber', async () => {
    const { ipc, fromMain } = fakeIpc();
    const bridge = createBridge(ipc);
    const status = {
      tokenStorage: 'memoryOnly',
      tokenStorageReason: 'no keyring',
      coreRestarts: 1,
      lastCoreRestartAt: null,
      coreDownReason: null,
    };
    fromMain({ type: 'event', topic: 'shell.status', payload: status });
    const received: unknown[] = [];
    bridge.subscribe('shell.status', (payload) => received.push(payload));
    await Promise.resolve();
    expect(received).toEqual([status]);
  });

  it('keeps other listeners running when one throws', () => {
    const { ipc, fromMain } = fakeIpc();
    const bridge = createBridge(ipc);
    const received: unknown[] = [];
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => {});
    bridge.subscribe('data.changed', () => {
      throw new Error('boom');
    });
    bridge.subscribe('data.changed', (payload) => received.push(payload));
    fromMain({ type: 'event', topic: 'data.changed', payload: 1 });
    quiet.mockRestore();
    expect(received).toEqual([1]);
  });

  it('chooseSaveFile sends only the suggested name, and passes on a token, a cancel, or a refusal as plain values', async () => {
    const answers: unknown[] = [
      { ok: true, chosen: { token: 'tok', fileName: 'gala-attendees-2026-12-01.csv', extra: { leak: true } } },
      { ok: true, chosen: null },
      { ok: false, error: { code: 'SERVICE_UNAVAILABLE', message: 'restarting' } },
      'garbage',
    ];
    const { ipc, invoked } = fakeIpc(() => answers.shift());
    const bridge = createBridge(ipc);
    const sneaky = { suggestedName: 'gala.csv', path: '/etc/passwd' } as { suggestedName: string };
    expect(await bridge.chooseSaveFile!(sneaky)).toEqual({ token: 'tok', fileName: 'gala-attendees-2026-12-01.csv' });
    expect(invoked).toEqual([{ channel: SAVE_FILE_CHANNEL, request: { suggestedName: 'gala.csv' } }]);
    expect(await bridge.chooseSaveFile!({ suggestedName: 'gala.csv' })).toBeNull();
    await expect(bridge.chooseSaveFile!({ suggestedName: 'gala.csv' })).rejects.toEqual({
      code: 'SERVICE_UNAVAILABLE',
      message: 'restarting',
    });
    await expect(bridge.chooseSaveFile!({ suggestedName: 'gala.csv' })).rejects.toMatchObject({ code: 'INTERNAL' });
  });
});
