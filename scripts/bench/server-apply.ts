/**
 * Store-level micro-benchmark of the SQLite adapter's push apply (issue #15): the CPU the sync
 * server spends in `store.mutations.applyBatch` per pushed check-in, without HTTP, zod or devices.
 *
 *   BENCH_KEEP_DATA=1 npm run bench -- --only push_backlog      # prints "[bench] kept <dir>"
 *   npx tsx scripts/bench/server-apply.ts <dir>/server/gatehouse.db [--checkins 10000] [--push 2000] [--runs 3]
 *
 * Each run copies the given store file (left untouched) to a temporary folder and opens the copy,
 * as the bench's server does after seeding: SQLite's page cache empty, the OS's warm. It then applies
 * `--checkins` new check-ins of distinct random bookings of the file's largest event, in pushes of
 * `--push` awaited one after another (a device's backlog), and prints one JSON line per run: CPU
 * milliseconds of this process (user + system, process.cpuUsage, which counts the WAL checkpointer's
 * worker thread too), of its main thread alone (Linux), and wall milliseconds of the apply, per
 * 1,000 check-ins too. Every result must be `applied`, or the run fails.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { formatHlc } from '@gatehouse/protocol';
import { checkinAlertsFor } from '../../sync-server/src/checkins/service';
import { openStore } from '../../sync-server/src/store/open';
import type { MutationWork } from '../../sync-server/src/store/port';

type Options = { file: string; checkins: number; push: number; runs: number };

function parseArgs(argv: readonly string[]): Options {
  const file = argv.find((arg, index) => !arg.startsWith('--') && !argv[index - 1]?.startsWith('--'));
  if (!file) throw new Error('usage: server-apply.ts <gatehouse.db> [--checkins N] [--push N] [--runs N]');
  const number = (name: string, fallback: number) => {
    const at = argv.indexOf(name);
    const value = at >= 0 ? Number(argv[at + 1]) : fallback;
    if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} takes a positive whole number`);
    return value;
  };
  return { file, checkins: number('--checkins', 10_000), push: number('--push', 2_000), runs: number('--runs', 3) };
}

/** The largest event of the file and `count` of its bookings, distinct, in random order. */
function pickBookings(file: string, count: number): { eventId: string; bookingIds: string[] } {
  const db = new Database(file, { readonly: true });
  try {
    const { eventId } = db
      .prepare('SELECT event_id AS eventId FROM bookings GROUP BY event_id ORDER BY count(*) DESC LIMIT 1')
      .get() as { eventId: string };
    const rows = db
      .prepare(`SELECT id FROM bookings WHERE event_id = ? AND status = 'confirmed' ORDER BY random() LIMIT ?`)
      .all(eventId, count) as Array<{ id: string }>;
    return { eventId, bookingIds: rows.map((row) => row.id) };
  } finally {
    db.close();
  }
}

/**
 * A UUIDv7 (RFC 9562 §5.7) of `ms`, as a device's check-in and mutation ids are (electron/core/sync/ids.ts):
 * time-ordered, so they land at the end of the id indexes as real pushes' do, not on random pages.
 */
function timeOrderedId(ms: number): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(ms, 0, 6);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The pushes of a device's backlog: one new scan of each booking, as sync/push.ts builds them. */
function backlog(eventId: string, bookingIds: readonly string[], push: number): MutationWork[][] {
  const deviceId = randomUUID();
  const staffId = randomUUID();
  const deriveAlerts = checkinAlertsFor({ status: 'published', fieldHlc: {} });
  const startMs = Date.now();
  const work = bookingIds.map((bookingId, index): MutationWork => {
    const id = timeOrderedId(startMs + index);
    const hlc = formatHlc({ wallMs: startMs + index, counter: 0, node: deviceId.slice(0, 8) });
    const args = { id, eventId, bookingId, gate: 'North', direction: 'in', scannedAt: new Date(startMs).toISOString() };
    return {
      claim: {
        id: timeOrderedId(startMs + index),
        userId: staffId,
        deviceId,
        name: 'checkin.record',
        argsHash: createHash('sha256').update(JSON.stringify(args)).digest('hex'),
        hlc,
      },
      apply: {
        kind: 'recordCheckIn',
        row: { ...args, direction: 'in', deviceId, staffId, hlc, receivedAt: new Date().toISOString() },
        deriveAlerts,
      },
    };
  });
  const pushes: MutationWork[][] = [];
  for (let start = 0; start < work.length; start += push) pushes.push(work.slice(start, start + push));
  return pushes;
}

/**
 * CPU milliseconds of this process's main thread so far (Linux /proc, 10 ms ticks), or null
 * elsewhere: the apply itself, without the WAL checkpointer's worker thread that cpuUsage counts too.
 */
function mainThreadCpuMs(): number | null {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return null;
  }
}

/**
 * Read syscalls and bytes of this process's main thread so far (Linux /proc, per thread), or null
 * elsewhere. Without mmap, SQLite reads each page its cache misses with one pread of a page, so
 * the count is the apply's page-cache misses: a figure the machine's speed does not move.
 */
function mainThreadReads(): { calls: number; bytes: number } | null {
  try {
    const io = readFileSync(`/proc/self/task/${process.pid}/io`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(io)?.[1] ?? Number.NaN);
    return { calls: field('syscr'), bytes: field('rchar') };
  } catch {
    return null;
  }
}

async function runOnce(options: Options, run: number): Promise<void> {
  const folder = mkdtempSync(path.join(tmpdir(), 'gatehouse-server-apply-'));
  try {
    const file = path.join(folder, 'gatehouse.db');
    copyFileSync(options.file, file);
    const { eventId, bookingIds } = pickBookings(file, options.checkins);
    const pushes = backlog(eventId, bookingIds, options.push);
    const quiet = { info: () => {}, warn: () => {}, error: () => {} };
    const store = await openStore({ kind: 'sqlite', file }, quiet);
    try {
      const cpu = process.cpuUsage();
      const mainThread = mainThreadCpuMs();
      const readsBefore = mainThreadReads();
      const started = performance.now();
      for (const push of pushes) {
        const results = await store.mutations.applyBatch(push);
        const refused = results.find((result) => result.status !== 'applied');
        if (refused) throw new Error(`a check-in was not applied: ${JSON.stringify(refused)}`);
      }
      const wallMs = performance.now() - started;
      const used = process.cpuUsage(cpu);
      const mainThreadNow = mainThreadCpuMs();
      const readsAfter = mainThreadReads();
      const mainThreadMs = mainThread === null || mainThreadNow === null ? null : mainThreadNow - mainThread;
      const cpuMs = (used.user + used.system) / 1000;
      const per1000 = (ms: number) => Math.round((ms / bookingIds.length) * 1000 * 10) / 10;
      console.log(
        JSON.stringify({
          run,
          checkins: bookingIds.length,
          push: options.push,
          cpuMs: Math.round(cpuMs),
          userMs: Math.round(used.user / 1000),
          systemMs: Math.round(used.system / 1000),
          mainThreadMs,
          wallMs: Math.round(wallMs),
          mainThreadReads: readsBefore && readsAfter ? readsAfter.calls - readsBefore.calls : null,
          mainThreadReadKb:
            readsBefore && readsAfter ? Math.round((readsAfter.bytes - readsBefore.bytes) / 1024) : null,
          cpuMsPer1000: per1000(cpuMs),
          wallMsPer1000: per1000(wallMs),
        }),
      );
    } finally {
      await store.close();
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

const options = parseArgs(process.argv.slice(2));
for (let run = 1; run <= options.runs; run++) await runOnce(options, run);
