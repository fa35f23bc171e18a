import type { RpcResult } from '@gatehouse/protocol';
import { countCommands, type Measure } from '../measure';
import { signInAndSync } from '../pool';
import { PeakRssSampler, readCpuSeconds } from '../rss';
import { round } from '../stats';

/** How long search may lag behind the rows before the measure fails. */
const SEARCH_LIMIT_MS = 120_000;

/**
 * A fresh device (empty data folder, its own process) signs in as the event's staff and downloads
 * the whole event bucket into SQLite. Timed from the sign-in request to two moments:
 * - ready to scan: every booking is in the device's database (a verdict needs only id and code);
 * - search works: `bookings.list` with a search for the last booking seeded (surname and number)
 *   returns that booking. The core has no separate search phase yet — its FTS index is kept by
 *   triggers as rows arrive — so this follows at once; a core that builds the index in bulk after
 *   the rows would show the gap here.
 * Peak RSS of the device process and of the server process over the whole window, and the CPU time
 * each used to ready-to-scan (steadier than wall time on a shared machine).
 */
export const initialSync: Measure = {
  name: 'initial_sync',
  timeLimitSeconds: 1200,
  async run(ctx) {
    const entry = await ctx.devices.open(ctx, 'gate-a');
    if (entry.synced) throw new Error('gate-a was already synced; initial_sync must run first');
    const clientRss = new PeakRssSampler(entry.process.pid);
    const serverRss = new PeakRssSampler(ctx.server.pid);
    const cpuAt = () => [readCpuSeconds(entry.process.pid), readCpuSeconds(ctx.server.pid)] as const;
    const cpuBefore = cpuAt();
    const started = performance.now();
    const { result, commands } = await countCommands(ctx, () => signInAndSync(ctx, entry));
    const { syncCycles, syncErrors } = result;
    const seconds = (performance.now() - started) / 1000;
    const cpuAfter = cpuAt();
    const cpuUsed = (i: 0 | 1) => {
      const [before, after] = [cpuBefore[i], cpuAfter[i]];
      return before === null || after === null ? null : round(after - before, 2);
    };
    const { q, bookingId } = ctx.fixture.searchProbe;
    let searchAttempts = 0;
    for (;;) {
      searchAttempts += 1;
      const found = await entry.process.call<RpcResult<'bookings.list'>>({
        kind: 'rpc',
        method: 'bookings.list',
        params: { eventId: ctx.fixture.eventId, q, offset: 0, limit: 10 },
      });
      if (found.rows.some((row) => row.id === bookingId)) break;
      if (performance.now() - started > seconds * 1000 + SEARCH_LIMIT_MS)
        throw new Error(`search for "${q}" did not find its booking within ${SEARCH_LIMIT_MS / 1000} s of the rows`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const searchSeconds = (performance.now() - started) / 1000;
    const clientPeakRssMb = clientRss.stop();
    const serverPeakRssMb = serverRss.stop();
    const bookings = await entry.process.call<number>({ kind: 'count', table: 'bookings' });
    const rows =
      bookings +
      (await entry.process.call<number>({ kind: 'count', table: 'events' })) +
      (await entry.process.call<number>({ kind: 'count', table: 'ticket_keys' }));
    return {
      seconds: round(seconds, 2),
      readyToScanSeconds: round(seconds, 2),
      searchReadySeconds: round(searchSeconds, 2),
      searchAttempts,
      rows,
      bookingsReceived: bookings,
      changesInBucket: ctx.fixture.bucketRows,
      rowsPerSecond: Math.round(rows / seconds),
      syncCycles,
      syncErrors,
      clientPeakRssMb,
      serverPeakRssMb,
      clientCpuSeconds: cpuUsed(0),
      serverCpuSeconds: cpuUsed(1),
      ...(commands === null ? {} : { dbCommands: commands }),
    };
  },
};
