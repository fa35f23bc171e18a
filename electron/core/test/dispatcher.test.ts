import { generateTicketKeyPair, signTicket, verifyTicket } from '@gatehouse/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TicketVerifier } from '../checkins/verify';
import { type Core, openCore } from '../core';
import { createRpcDispatcher, type RpcDispatcher } from '../rpc/dispatcher';
import { combineHandlers } from '../rpc/types';
import { MemoryTokenStore } from '../tokens';
import { tempDir } from './fixtures';

let core: Core;
let rpc: RpcDispatcher;
beforeAll(async () => {
  core = await openCore({ dataDir: tempDir(), tokenStore: new MemoryTokenStore(), autoSync: false });
  rpc = createRpcDispatcher(core);
});
afterAll(() => core.close());

describe('RPC dispatcher', () => {
  it('answers a valid call with its result', async () => {
    const response = await rpc.dispatch({ type: 'request', id: 1, method: 'session.get', params: {} });
    expect(response).toMatchObject({
      type: 'response',
      id: 1,
      ok: true,
      result: { user: null, deviceId: core.device.deviceId },
    });
  });

  it('turns malformed frames, unknown methods and bad params into error frames, never throwing', async () => {
    expect(await rpc.dispatch({ nonsense: true })).toMatchObject({
      ok: false,
      id: -1,
      error: { code: 'VALIDATION_FAILED' },
    });
    expect(await rpc.dispatch(null)).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    expect(await rpc.dispatch({ type: 'request', id: 2, method: 'no.such', params: {} })).toMatchObject({
      id: 2,
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
    expect(await rpc.dispatch({ type: 'request', id: 3, method: 'toString', params: {} })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
    const bad = await rpc.dispatch({
      type: 'request',
      id: 4,
      method: 'checkin.scan',
      params: { eventId: 'e', gate: '', scan: 'x' },
    });
    expect(bad).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    expect((bad as { error: { message: string } }).error.message).toMatch(/gate/);
    // The field at fault travels with the refusal, so the screen can mark it.
    expect((bad as { error: { details?: unknown } }).error.details).toEqual([
      { path: 'gate', message: expect.any(String) },
    ]);
    const extra = await rpc.dispatch({ type: 'request', id: 5, method: 'session.get', params: { admin: true } });
    expect(extra).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
  });

  it('maps GatehouseErrors from handlers to their codes', async () => {
    expect(await rpc.dispatch({ type: 'request', id: 6, method: 'events.list', params: {} })).toMatchObject({
      ok: false,
      error: { code: 'UNAUTHENTICATED' },
    });
    const unlock = await rpc.dispatch({
      type: 'request',
      id: 7,
      method: 'session.unlock',
      params: { email: 'nobody@example.test', password: 'whatever' },
    });
    expect(unlock).toMatchObject({ ok: false, error: { code: 'INVALID_CREDENTIALS' } });
    const unreachable = await rpc.dispatch({
      type: 'request',
      id: 8,
      method: 'session.signIn',
      params: { serverUrl: 'http://127.0.0.1:9', email: 'a@example.test', password: 'x' },
    });
    expect(unreachable).toMatchObject({ ok: false, error: { code: 'OFFLINE' } });
  });

  it('forwards core topics as event frames until unsubscribed', async () => {
    const frames: unknown[] = [];
    const off = rpc.onEvent((frame) => frames.push(frame));
    await rpc.dispatch({ type: 'request', id: 9, method: 'session.signOut', params: { wipeLocalData: false } });
    expect(frames).toContainEqual(expect.objectContaining({ type: 'event', topic: 'session.changed' }));
    off();
    const count = frames.length;
    await rpc.dispatch({ type: 'request', id: 10, method: 'session.signOut', params: { wipeLocalData: false } });
    expect(frames).toHaveLength(count);
  });
});

describe('native ticket verification', () => {
  it('gives the same answers as protocol verifyTicket', () => {
    const keys = generateTicketKeyPair();
    const other = generateTicketKeyPair();
    const good = signTicket(
      { kid: keys.kid, eventId: 'e', bookingId: 'b', ticketTypeId: 't', validFrom: 1, validUntil: 2 },
      keys.privateKey,
    );
    const forged = signTicket(
      { kid: keys.kid, eventId: 'e', bookingId: 'b', ticketTypeId: 't', validFrom: 1, validUntil: 2 },
      other.privateKey,
    );
    const verifier = new TicketVerifier();
    const findKey = (kid: string) => (kid === keys.kid ? keys : undefined);
    for (const token of [
      good,
      forged,
      good.slice(0, -2) + 'xx',
      'GH1.e30.' + 'A'.repeat(86),
      'garbage',
      good.replace('GH1', 'GH2'),
    ]) {
      expect(verifier.verify(token, findKey)).toEqual(verifyTicket(token, findKey));
    }
    expect(verifier.verify(good, findKey).ok).toBe(true);
    expect(verifier.verify(forged, findKey)).toMatchObject({ ok: false, reason: 'signature' });
  });
});

describe('combineHandlers', () => {
  it('joins the domains’ handler maps and refuses a method handled twice', () => {
    const one = { 'sync.status': () => 'a' } as never;
    const two = { 'sync.now': () => 'b' } as never;
    expect(Object.keys(combineHandlers(one, two) as object)).toEqual(['sync.status', 'sync.now']);
    expect(() => combineHandlers(one, two, { 'sync.status': () => 'c' } as never)).toThrow(
      'RPC method sync.status is handled twice',
    );
  });
});
