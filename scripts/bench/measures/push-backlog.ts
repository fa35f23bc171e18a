import type { ScanManyResult } from '../device-agent';
import { countCommands, type Measure } from '../measure';
import { syncUntil } from '../pool';
import { cpuPerThousand, cpuSince } from '../rss';
import { round } from '../stats';

/**
 * Device A scans `backlog` tickets while its network is cut (each a real offline check-in in its
 * outbox), then comes back online and syncs. Measured: seconds until the server has acknowledged
 * every mutation (A's outbox is empty) and until a second device B, online with its live socket,
 * has every one of those check-ins in its SQLite. The server's CPU seconds from the network's return
 * to the acknowledgement (its pushes, and B's and A's pulls meanwhile) are read from /proc: on a
 * shared machine a steadier figure of its work than the wall time.
 */
export const pushBacklog: Measure = {
  name: 'push_backlog',
  timeLimitSeconds: 1200,
  async run(ctx) {
    const a = await ctx.devices.synced(ctx, 'gate-a');
    const b = await ctx.devices.synced(ctx, 'gate-b');
    const { fixture, options } = ctx;
    const ids = ctx.takeBookings(options.backlog);
    const tokens = ids.map(fixture.tokenFor);

    // Let A's earlier pushes finish first, so the backlog is exactly this measure's check-ins.
    await syncUntil(a, async () => (await a.process.call<number>({ kind: 'count', table: 'outbox' })) === 0, {
      maxCycles: 10,
      cycleTimeoutMs: 300_000,
      log: ctx.log,
    });
    a.network.setOnline(false);
    const offline = await a.process.call<ScanManyResult>(
      { kind: 'scanMany', eventId: fixture.eventId, gate: 'Gate A', tokens },
      600_000,
    );
    const pending = await a.process.call<number>({ kind: 'count', table: 'outbox' });
    if (offline.checkinIds.length !== ids.length) {
      throw new Error(
        `offline scans recorded ${offline.checkinIds.length} of ${ids.length}: ${JSON.stringify(offline.verdicts)}`,
      );
    }

    const visible = b.process.call<Record<string, number>>(
      { kind: 'waitForCheckins', ids: offline.checkinIds, timeoutMs: options.quick ? 60_000 : 600_000 },
      options.quick ? 70_000 : 610_000,
    );
    // Observed on its own; a failure surfaces where it is awaited, never as an unhandled rejection.
    const seenOrError = visible.then(
      (seen) => ({ seen }),
      (error: unknown) => ({ error: error as Error }),
    );
    const limitMs = options.quick ? 60_000 : 600_000;
    let serverCpu: () => number | null = () => null;
    const acknowledged = a.process
      .call<number>({ kind: 'waitForEmptyOutbox', timeoutMs: limitMs }, limitMs + 10_000)
      .then(
        (at) => ({ at, serverCpuSeconds: serverCpu() }),
        (error: unknown) => ({ error: error as Error }),
      );
    const startedAt = performance.timeOrigin + performance.now();
    const started = performance.now();
    serverCpu = cpuSince(ctx.server.pid);
    a.network.setOnline(true);
    // The device noticing the network is back (the host's online event) starts a sync cycle; the
    // cycle ends after it has also pulled the check-ins back, so the outbox is watched on its own.
    const outboxEmpty = async () => (await a.process.call<number>({ kind: 'count', table: 'outbox' })) === 0;
    const { result, commands } = await countCommands(ctx, () =>
      syncUntil(a, outboxEmpty, { maxCycles: 20, cycleTimeoutMs: 600_000, log: ctx.log }),
    );
    const { syncCycles, syncErrors } = result;
    const cycleSeconds = (performance.now() - started) / 1000;
    const ack = await acknowledged;
    if ('error' in ack) throw ack.error;
    const ackSeconds = (ack.at - startedAt) / 1000;
    const outcome = await seenOrError;
    if ('error' in outcome) throw outcome.error;
    const seen = outcome.seen;
    const lastSeen = Math.max(...Object.values(seen));
    return {
      checkins: ids.length,
      pendingWhenOffline: pending,
      ackSeconds: round(ackSeconds, 2),
      syncCycleSeconds: round(cycleSeconds, 2),
      visibleOnSecondDeviceSeconds: round((lastSeen - startedAt) / 1000, 2),
      mutationsPerSecond: Math.round(ids.length / ackSeconds),
      serverCpuSeconds: ack.serverCpuSeconds,
      serverCpuSecondsPer1000: cpuPerThousand(ack.serverCpuSeconds, ids.length),
      syncCycles,
      syncErrors,
      // During A's sync cycle: A's pushes and pull, and B's pulls meanwhile (MongoDB store only).
      ...(commands === null ? {} : { dbCommands: commands, dbCommandsPerCheckin: round(commands / ids.length, 1) }),
    };
  },
};
