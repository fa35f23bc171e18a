import { existsSync, openSync, readdirSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import path from 'node:path';
import { GatehouseError } from '@gatehouse/protocol';
import { describe, expect, it } from 'vitest';
import { openCore } from '../core';
import { openDatabase } from '../db/open';
import { accountKeyOf } from '../session/device';
import { refreshTokenKey } from '../session/tokens';
import { AccountStore } from '../store';
import { MemoryTokenStore } from '../tokens';
import { DEVICE_ID, USER_ID, bookingDoc, openTempStore, page, seedEvent, tempDir } from './fixtures';

const meta = () => ({ userId: USER_ID, deviceId: DEVICE_ID, at: new Date().toISOString() });

function expectCode(work: () => unknown, code: string): GatehouseError {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(GatehouseError);
    expect((error as GatehouseError).code).toBe(code);
    return error as GatehouseError;
  }
  throw new Error(`expected ${code}`);
}

/** Overwrites one page of a closed SQLite file with garbage (a torn write, a bad sector). */
function smashPage(file: string, pageNumber: number): void {
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.alloc(4096, 0xa5), 0, 4096, (pageNumber - 1) * 4096);
  closeSync(fd);
}

describe('corrupt database', () => {
  it('refuses a file that is not a database with a clear error instead of starting empty', () => {
    const file = path.join(tempDir(), 'gatehouse.db');
    writeFileSync(file, Buffer.alloc(64 * 1024, 0x42));
    const error = expectCode(() => openDatabase(file), 'LOCAL_STORE_CORRUPT');
    expect(error.message).toMatch(/damaged.*moves it aside/);
  });

  it('detects a damaged page on open, keeps the file, and recovery resyncs with the unsent outbox carried over', async () => {
    const dataDir = tempDir();
    const serverUrl = 'http://127.0.0.1:9';
    const tokenStore = new MemoryTokenStore();
    // A user who signed in here before: verifier, refresh token, an account database with data and an unsent change.
    const first = await openCore({ dataDir, tokenStore, autoSync: false, verifierCost: 1024 });
    const known = await first.device.remember(
      { id: USER_ID, email: 'staff@example.test', name: 'Sam', role: 'staff' },
      serverUrl,
      'pw',
      1024,
    );
    first.device.setLastAccount(known.accountKey);
    await first.close();
    await tokenStore.set(refreshTokenKey(known.accountKey), 'refresh-token-from-an-earlier-sign-in');
    const file = path.join(dataDir, 'accounts', accountKeyOf(serverUrl, USER_ID), 'gatehouse.db');
    const store = AccountStore.open(file, DEVICE_ID, Date.now);
    seedEvent(store, 'ev1', 2000);
    store.mutate('booking.cancel', { bookingId: 'ev1-b1' }, meta());
    const indexRoot = (
      store.db.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'bookings_list'").get() as { rootpage: number }
    ).rootpage;
    store.close();
    smashPage(file, indexRoot);

    const core = await openCore({ dataDir, tokenStore, autoSync: false, verifierCost: 1024 });
    const state = core.sessionState();
    expect(state.user).toBeNull();
    expect(state.storeProblem?.code).toBe('LOCAL_STORE_CORRUPT');
    expect(() => core.requireAccount()).toThrow(/damaged/);

    const recovered = await core.recoverStore();
    expect(existsSync(recovered.movedTo)).toBe(true);
    expect(recovered.salvagedMutations).toBe(1);
    expect(core.sessionState()).toMatchObject({ user: { id: USER_ID }, storeProblem: null });
    expect(core.syncStatus().pending).toBe(1);
    expect(readdirSync(path.dirname(recovered.movedTo)).some((name) => name.endsWith('.db'))).toBe(true);
    await core.close();
  });
});

describe('full disk', () => {
  it('a write that hits the limit is rolled back whole, surfaces STORAGE_FULL, and the store stays consistent', () => {
    const store = openTempStore();
    seedEvent(store, 'ev1', 10);
    const pageCount = store.db.pragma('page_count', { simple: true }) as number;
    store.db.pragma(`max_page_count = ${pageCount + 8}`);
    let written = 0;
    let failure: GatehouseError | null = null;
    for (let i = 0; i < 100_000 && !failure; i++) {
      try {
        store.mutate(
          'booking.walkIn',
          {
            bookingId: crypto.randomUUID(),
            eventId: 'ev1',
            ticketTypeId: 'tt-general',
            attendee: { name: `Walk ${i} ${'x'.repeat(150)}` },
          },
          meta(),
        );
        written += 1;
      } catch (error) {
        failure = error as GatehouseError;
      }
    }
    expect(failure).toBeInstanceOf(GatehouseError);
    expect(failure?.code).toBe('STORAGE_FULL');
    expect(written).toBeGreaterThan(0);
    // Every local walk-in has its outbox entry and vice versa: no half-written mutation.
    const walkIns = store.db.prepare('SELECT count(*) AS n FROM bookings WHERE rev = 0').get() as { n: number };
    expect(walkIns.n).toBe(written);
    expect(store.outbox.count()).toBe(written);
    expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');

    // A pull page that does not fit leaves rows and cursor as they were.
    const cursorBefore = store.state.get('cursor');
    const big = Array.from({ length: 500 }, (_, i) => ({
      bucket: 'event:ev1',
      seq: 100 + i,
      type: 'booking' as const,
      id: `ev1-big${i}`,
      rev: 1,
      doc: bookingDoc('ev1', 1000 + i),
    }));
    expectCode(() => store.applyPullPage(page(big)), 'STORAGE_FULL');
    expect(store.state.get('cursor')).toBe(cursorBefore);
    expect(store.db.prepare("SELECT count(*) AS n FROM bookings WHERE id LIKE 'ev1-big%'").get()).toEqual({ n: 0 });

    // Space again: the same store carries on.
    store.db.pragma(`max_page_count = ${pageCount * 100}`);
    store.applyPullPage(page(big));
    expect(store.outbox.count()).toBe(written);
    store.close();
  });
});
