import { afterEach, describe, expect, it, vi } from 'vitest';
import { WAL_AUTOCHECKPOINT_PAGES } from '../db/open';
import type { AccountStore } from '../store';
import { bookingDoc, openTempStore, page, seedEvent } from './fixtures';

const opened: AccountStore[] = [];
afterEach(() => {
  for (const store of opened.splice(0)) store.close();
});

const walFrames = (store: AccountStore) =>
  (store.db.pragma('wal_checkpoint(NOOP)') as { log: number; checkpointed: number }[])[0]!;

const autocheckpoint = (store: AccountStore) => store.db.pragma('wal_autocheckpoint', { simple: true }) as number;

describe('timed checkpoints on a worker thread', () => {
  it("copies the WAL into the file on the worker's own connection while the core's keeps writing", async () => {
    const store = openTempStore();
    opened.push(store);
    seedEvent(store, 'ev-ckpt', 200);
    expect(walFrames(store).log).toBeGreaterThan(0);

    expect(store.checkpointer.request()).toBe(true);
    // The core's connection writes while the worker checkpoints: a PASSIVE checkpoint blocks no writer.
    const renamed = bookingDoc('ev-ckpt', 1, { attendee: { name: 'Written Meanwhile' } });
    store.applyPullPage(
      page([{ bucket: 'event:ev-ckpt', seq: 500, type: 'booking', id: renamed.id, rev: 9, doc: renamed }]),
    );
    const copied = await store.checkpointer.idle();
    expect(copied).toBeGreaterThan(0);
    expect(store.rows.getDoc<{ attendee: { name: string } }>('bookings', renamed.id)?.attendee.name).toBe(
      'Written Meanwhile',
    );
    // A second request checkpoints what was written meanwhile.
    expect(store.checkpointer.request()).toBe(true);
    expect(await store.checkpointer.idle()).toBeGreaterThanOrEqual(0);
    const frames = walFrames(store);
    expect(frames.checkpointed).toBe(frames.log);
  });

  it('runs one checkpoint at a time and none once closed', async () => {
    const store = openTempStore();
    seedEvent(store, 'ev-ckpt2', 50);
    expect(store.checkpointer.request()).toBe(true);
    expect(store.checkpointer.request()).toBe(true);
    expect(await store.checkpointer.idle()).toBeGreaterThan(0);
    store.close();
    expect(store.checkpointer.request()).toBe(true);
    expect(await store.checkpointer.idle()).toBe(0);
  });

  it("leaves an initial sync's WAL to the worker: no commit checkpoints before ready, nor after until the worker copied it", async () => {
    const store = openTempStore();
    opened.push(store);
    expect(store.beginInitialSync()).toBe(true);
    const bound = autocheckpoint(store);
    expect(bound).toBeGreaterThan(WAL_AUTOCHECKPOINT_PAGES);
    seedEvent(store, 'ev-ckpt3', 300);
    expect(store.phase()).toBe('readyToScan');
    while (!store.searchIndex.step(100).done);
    expect(store.phase()).toBe('ready');
    expect(walFrames(store).checkpointed).toBe(0);

    // What the core does as the search index completes. Lowered at once, the threshold would have
    // the next commit copy the whole sync's WAL on the event loop.
    store.tuneForPhase();
    expect(autocheckpoint(store)).toBe(bound);
    await vi.waitFor(() => expect(autocheckpoint(store)).toBe(WAL_AUTOCHECKPOINT_PAGES), { timeout: 10_000 });
    const frames = walFrames(store);
    expect(frames.log).toBeGreaterThan(0);
    expect(frames.checkpointed).toBe(frames.log);
    // Called again once ready (every caught-up pull does), it leaves the threshold alone.
    store.tuneForPhase();
    expect(autocheckpoint(store)).toBe(WAL_AUTOCHECKPOINT_PAGES);
  });
});
