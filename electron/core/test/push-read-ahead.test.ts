import { MAX_PUSH_BATCH, pushRequestSchema } from '@gatehouse/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AccountStore } from '../store';
import { type PushBatch, PushReadAhead } from '../sync/push-read-ahead';
import { DEVICE_ID, USER_ID, openTempStore, seedEvent } from './fixtures';

const meta = () => ({ userId: USER_ID, deviceId: DEVICE_ID, at: new Date().toISOString() });

let store: AccountStore;

beforeEach(() => {
  store = openTempStore();
  seedEvent(store, 'ev1', 20);
});

afterEach(() => store.close());

/** Queues `count` check-ins at `gate`; answers their mutation ids in outbox order. */
function queueCheckins(count: number, gate = 'North'): string[] {
  return store.db.transaction(() => {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const args = {
        id: crypto.randomUUID(),
        eventId: 'ev1',
        bookingId: `ev1-b${i % 20}`,
        gate,
        direction: 'in' as const,
        scannedAt: new Date().toISOString(),
      };
      ids.push(store.mutate('checkin.record', args, meta()).id);
    }
    return ids;
  })();
}

/** The batch's body as the server reads it: checked against the protocol's push request schema. */
function bodyOf(batch: PushBatch): ReturnType<typeof pushRequestSchema.parse> {
  return pushRequestSchema.parse(JSON.parse(new TextDecoder().decode(batch.body.bytes)));
}

/** Every batch `take` gives until the outbox is exhausted. */
function takeAll(ahead: PushReadAhead, limit: number): PushBatch[] {
  const batches: PushBatch[] = [];
  for (let batch = ahead.take(limit); batch; batch = ahead.take(limit)) batches.push(batch);
  return batches;
}

describe('PushReadAhead: the outbox read and encoded ahead of the push', () => {
  it('encodes each batch as the push request the protocol defines, entry for entry as the outbox holds it', () => {
    // Non-ASCII text: the entries' byte offsets in the encoded body are not their string lengths.
    queueCheckins(7, 'Nordtor – Süd 北');
    store.mutate('booking.cancel', { bookingId: 'ev1-b3' }, meta());
    queueCheckins(4);
    const ahead = new PushReadAhead(store.outbox);
    ahead.fill();
    const batches = takeAll(ahead, 5);
    expect(batches.map((batch) => batch.entries.length)).toEqual([5, 5, 2]);
    const sent = batches.flatMap((batch) => bodyOf(batch).mutations);
    const queued = store.outbox.peek(100).map(({ id, name, args, hlc }) => ({ id, name, args, hlc }));
    expect(sent).toEqual(queued);
    expect(batches.flatMap((batch) => batch.entries.map((entry) => entry.id))).toEqual(queued.map((m) => m.id));
  });

  it('cuts a batch where its body would pass the byte limit (always one entry at least)', () => {
    queueCheckins(30);
    // Check-ins of one shape: each envelope is as long as the first (the body adds 16 bytes).
    const envelope = new PushReadAhead(store.outbox).take(1)!.body.bytes.length - 16;
    const maxBytes = Math.floor(2.5 * (envelope + 1));
    const batches = takeAll(new PushReadAhead(store.outbox, 2_000, maxBytes), 1_000);
    expect(batches.map((batch) => batch.entries.length)).toEqual(Array(15).fill(2));
    expect(batches.every((batch) => batch.body.bytes.length <= maxBytes + 16)).toBe(true);
    expect(takeAll(new PushReadAhead(store.outbox, 2_000, 10), 1_000).map((b) => b.entries.length)).toEqual(
      Array(30).fill(1),
    );
  });

  it('fills a push with 2,000 check-ins of a real size, inside the server body limit', () => {
    // A gate name as long as a real booking id makes each envelope as long as the bench's (~350 bytes).
    queueCheckins(2_000, 'North gate, east entrance, lane 1234, turnstile 5');
    const batch = new PushReadAhead(store.outbox).take(MAX_PUSH_BATCH)!;
    expect(batch.body.bytes.length / 2_000).toBeGreaterThan(340);
    expect(batch.entries).toHaveLength(MAX_PUSH_BATCH);
    expect(batch.body.bytes.length).toBeLessThan(1024 * 1024); // BODY_LIMIT_BYTES, sync-server/src/app.ts
  });

  it('holds at most a batch, and a write queued after the read goes out next, in order', () => {
    const first = queueCheckins(5);
    const ahead = new PushReadAhead(store.outbox, 4);
    ahead.fill();
    expect(ahead.size).toBe(4);
    const later = queueCheckins(3);
    // Three held ahead of the later writes are taken first; the top-up reads the rest in order.
    const batches = takeAll(ahead, 3);
    expect(batches.flatMap((batch) => batch.entries.map((entry) => entry.id))).toEqual([...first, ...later]);
    expect(batches.flatMap((batch) => bodyOf(batch).mutations.map((m) => m.id))).toEqual([...first, ...later]);
  });

  it('writes nothing for what it holds, and reads from the head again after a restart', () => {
    const ids = queueCheckins(6);
    const ahead = new PushReadAhead(store.outbox);
    const taken = ahead.take(2)!;
    ahead.fill();
    const attempts = store.db.prepare('SELECT count(*) AS n FROM outbox WHERE attempts > 0').get();
    expect(attempts).toEqual({ n: 0 });
    expect(taken.entries.map((entry) => entry.id)).toEqual(ids.slice(0, 2));
    ahead.restart();
    expect(ahead.take(10)!.entries.map((entry) => entry.id)).toEqual(ids);
  });
});
