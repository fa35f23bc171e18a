import type { ScanResult } from '@gatehouse/protocol';
import type { Measure } from '../measure';
import { syncUntil } from '../pool';
import { summarize } from '../stats';

/**
 * Device A admits one ticket (online); device B, holding a live socket, is watched until the
 * check-in is in its SQLite. One at a time, so each sample is one check-in's path: A's record and
 * push, the server's apply and poke, B's pull and write. Clocks: both ends read the same machine's
 * wall clock with sub-millisecond precision.
 */
export const propagation: Measure = {
  name: 'propagation',
  timeLimitSeconds: 900,
  async run(ctx) {
    const a = await ctx.devices.synced(ctx, 'gate-a');
    const b = await ctx.devices.synced(ctx, 'gate-b');
    a.network.setOnline(true);
    b.network.setOnline(true);
    const { fixture, options } = ctx;
    // Drain anything earlier measures left in A's outbox, so samples are not queued behind it.
    const outboxEmpty = async () => (await a.process.call<number>({ kind: 'count', table: 'outbox' })) === 0;
    await syncUntil(a, outboxEmpty, { maxCycles: 10, cycleTimeoutMs: 300_000, log: ctx.log });
    await syncUntil(b, async () => true, { maxCycles: 1, cycleTimeoutMs: 300_000, log: ctx.log });
    const status = await b.process.call<{ liveConnected: boolean }>({ kind: 'rpc', method: 'sync.status', params: {} });
    const samples: number[] = [];
    /** Each sample's start on the monotonic clock (µs), the clock of `--cpu-prof` profiles' timestamps. */
    const startsUs: number[] = [];
    const deadline = Date.now() + (options.quick ? 60_000 : 600_000);
    for (const bookingId of ctx.takeBookings(options.propagationSamples)) {
      if (Date.now() > deadline) break;
      const token = fixture.tokenFor(bookingId);
      const started = performance.timeOrigin + performance.now();
      startsUs.push(Number(process.hrtime.bigint() / 1000n));
      const scan = await a.process.call<ScanResult>({
        kind: 'rpc',
        method: 'checkin.scan',
        params: { eventId: fixture.eventId, gate: 'Gate A', scan: token },
      });
      if (!scan.checkinId) throw new Error(`scan recorded no check-in: ${scan.verdict} ${scan.message}`);
      const seen = await b.process.call<Record<string, number>>(
        { kind: 'waitForCheckins', ids: [scan.checkinId], timeoutMs: 30_000 },
        35_000,
      );
      samples.push(seen[scan.checkinId]! - started);
    }
    const ms = summarize(samples);
    // BENCH_SAMPLES=1: every sample as [ms, start µs], to line a slow one up with the processes' profiles
    // (BENCH_PROFILE_SERVER / BENCH_PROFILE_DEVICES): what each was doing while it waited.
    if (process.env.BENCH_SAMPLES === '1') {
      const rounded = samples.map((ms, index) => [Math.round(ms * 10) / 10, startsUs[index]]);
      ctx.log(`[bench] propagation samples ${JSON.stringify(rounded)}`);
    }
    return {
      samples: ms.count,
      msP50: ms.p50,
      msP95: ms.p95,
      msP99: ms.p99,
      msMax: ms.max,
      liveConnectedAtStart: status.liveConnected,
    };
  },
};
