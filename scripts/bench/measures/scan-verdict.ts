import type { ScanManyResult } from '../device-agent';
import type { Measure } from '../measure';
import { summarize } from '../stats';

const WARM_UP = 100;

/**
 * `checkin.scan` in a synced device holding the whole event: token verification (Ed25519), booking
 * lookup, verdict and the recorded check-in (row + outbox in one SQLite transaction), each scan of a
 * different, not yet admitted ticket. Timed inside the device process around the RPC dispatcher, so
 * parameter validation counts and IPC does not. The device stays online, as a gate would: its
 * background pushes share the event loop, which is what a steward's p99 feels.
 */
export const scanVerdict: Measure = {
  name: 'scan_verdict',
  timeLimitSeconds: 1200,
  async run(ctx) {
    const entry = await ctx.devices.synced(ctx, 'gate-a', 'bookings');
    const { fixture, options } = ctx;
    const warmUp = ctx.takeBookings(Math.min(WARM_UP, Math.max(1, Math.floor(options.scans / 10))));
    const measured = ctx.takeBookings(options.scans);
    const scan = (ids: string[]) =>
      entry.process.call<ScanManyResult>(
        { kind: 'scanMany', eventId: fixture.eventId, gate: 'Gate A', tokens: ids.map(fixture.tokenFor) },
        600_000,
      );
    await scan(warmUp);
    const result = await scan(measured);
    const wall = summarize(result.wallMicros, 0);
    const core = summarize(result.coreMicros, 0);
    if ((result.verdicts.admit ?? 0) === 0) throw new Error(`no scan was admitted: ${JSON.stringify(result.verdicts)}`);
    return {
      scans: result.wallMicros.length,
      usP50: wall.p50,
      usP95: wall.p95,
      usP99: wall.p99,
      usMax: wall.max,
      coreUsP50: core.p50,
      coreUsP99: core.p99,
      verdicts: result.verdicts,
    };
  },
};
