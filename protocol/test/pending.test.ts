import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PendingRequests } from '../src/pending';

describe('PendingRequests', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('answers each request by its id, once; an answer for an unknown id is ignored', async () => {
    const pending = new PendingRequests();
    const first = pending.start<string>(1000, () => new Error('slow'));
    const second = pending.start<string>(1000, () => new Error('slow'));
    expect(first.id).not.toBe(second.id);
    expect(pending.settle(second.id, { ok: false, error: new Error('refused') })).toBe(true);
    expect(pending.settle(first.id, { ok: true, value: 'a' })).toBe(true);
    expect(pending.settle(first.id, { ok: true, value: 'again' })).toBe(false);
    expect(pending.settle(99, { ok: true, value: 'stray' })).toBe(false);
    await expect(first.answer).resolves.toBe('a');
    await expect(second.answer).rejects.toThrow('refused');
    expect(pending.size).toBe(0);
  });

  it('times a request out after its limit, and then ignores its late answer', async () => {
    const pending = new PendingRequests();
    const request = pending.start<string>(1000, () => new Error('did not answer'));
    const outcome = request.answer.catch((error: Error) => error.message);
    vi.advanceTimersByTime(999);
    expect(pending.size).toBe(1);
    vi.advanceTimersByTime(1);
    await expect(outcome).resolves.toBe('did not answer');
    expect(pending.settle(request.id, { ok: true, value: 'late' })).toBe(false);
  });

  it('fails everything waiting when the port closes, except what the caller keeps (not sent yet)', async () => {
    const pending = new PendingRequests();
    const sent = pending.start<string>(null, () => new Error('never'));
    const queued = pending.start<string>(null, () => new Error('never'));
    pending.failAll(new Error('closed'), (id) => id === queued.id);
    await expect(sent.answer).rejects.toThrow('closed');
    expect(pending.size).toBe(1);
    pending.settle(queued.id, { ok: true, value: 'sent after reconnect' });
    await expect(queued.answer).resolves.toBe('sent after reconnect');
  });
});
