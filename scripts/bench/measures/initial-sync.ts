import type { Measure } from '../measure';
import { signInAndSync } from '../pool';
import { PeakRssSampler } from '../rss';
import { round } from '../stats';

/**
 * A fresh device (empty data folder, its own process) signs in as the event's staff and downloads
 * the whole event bucket into SQLite. Timed from the sign-in request to the moment every booking is
 * in the device's database; peak RSS of the device process and of the server process over that window.
 */
export const initialSync: Measure = {
  name: 'initial_sync',
  timeLimitSeconds: 1200,
  async run(ctx) {
    const entry = await ctx.devices.open(ctx, 'gate-a');
    if (entry.synced) throw new Error('gate-a was already synced; initial_sync must run first');
    const clientRss = new PeakRssSampler(entry.process.pid);
    const serverRss = new PeakRssSampler(ctx.server.pid);
    const started = performance.now();
    const { syncCycles, syncErrors } = await signInAndSync(ctx, entry);
    const seconds = (performance.now() - started) / 1000;
    const clientPeakRssMb = clientRss.stop();
    const serverPeakRssMb = serverRss.stop();
    const bookings = await entry.process.call<number>({ kind: 'count', table: 'bookings' });
    const rows =
      bookings +
      (await entry.process.call<number>({ kind: 'count', table: 'events' })) +
      (await entry.process.call<number>({ kind: 'count', table: 'ticket_keys' }));
    return {
      seconds: round(seconds, 2),
      rows,
      bookingsReceived: bookings,
      changesInBucket: ctx.fixture.bucketRows,
      rowsPerSecond: Math.round(rows / seconds),
      syncCycles,
      syncErrors,
      clientPeakRssMb,
      serverPeakRssMb,
    };
  },
};
