import { randomUUID } from 'node:crypto';
import { Agent, request as sendRequest } from 'undici';
// Ids as a device makes them (time-ordered), so the server's writes are what devices cause.
import { newRowId } from '../../../electron/core/sync/ids';
import { DEVICE_ID_HEADER, formatHlc, type PushResponse } from '@gatehouse/protocol';
import type { SyncTraffic } from '../device-agent';
import { countCommands, type Measure, type MeasureContext } from '../measure';
import { requireRoute } from '../routes';
import { cpuPerThousand, cpuSince, PeakRssSampler } from '../rss';
import { round, summarize } from '../stats';

/** Check-ins per push: a gate device that was off the network for a few seconds. */
const BATCH = 10;

/**
 * N simulated devices (each its own device id, all signed in as the event's staff) push check-in
 * batches over HTTP as fast as the server answers, for a fixed time. Devices here are plain HTTP
 * clients rather than cores: 50 SQLite cores on two cores would measure the clients, not the server.
 * For the same reason they send with undici's `request` on one keep-alive pool, not `fetch`: measured
 * here, fetch took ~1.45 ms of CPU a request against ~0.14 ms, and at ~400 pushes/s that was half of
 * one of the two cores the server runs on.
 */
export const serverThroughput: Measure = {
  name: 'server_throughput',
  timeLimitSeconds: 180,
  async run(ctx) {
    const { fixture, server, options } = ctx;
    const url = `${server.baseUrl}/sync/push`;
    const pool = ctx.takeBookings(Math.max(options.devices, Math.floor(fixture.bookingIds.length / 2)));
    const perDevice = Math.max(1, Math.floor(pool.length / options.devices));
    const probe = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    await requireRoute(probe, 'POST /sync/push');

    let applied = 0;
    let rejected = 0;
    let httpErrors = 0;
    const rejectedCodes: Record<string, number> = {};
    const latencies: number[] = [];
    const online = await watchDevices(ctx);
    const rss = new PeakRssSampler(server.pid, 100);
    const serverCpu = cpuSince(server.pid);
    const generatorCpu = process.cpuUsage();
    const started = performance.now();
    const deadline = started + options.throughputSeconds * 1000;
    // Bounded in count as well as time: no device sends more than this many requests.
    const maxRequests = options.throughputSeconds * 2_000;
    const dispatcher = new Agent({ connections: options.devices, keepAliveTimeout: 10_000 });

    const device = async (index: number) => {
      const deviceId = randomUUID();
      const bookings = pool.slice(index * perDevice, (index + 1) * perDevice);
      let cursor = 0;
      let counter = 0;
      for (let request = 0; request < maxRequests && performance.now() < deadline; request++) {
        const mutations = [];
        for (let i = 0; i < BATCH; i++, cursor++) {
          const round = Math.floor(cursor / bookings.length);
          mutations.push({
            id: newRowId(),
            name: 'checkin.record',
            args: {
              id: newRowId(),
              eventId: fixture.eventId,
              bookingId: bookings[cursor % bookings.length]!,
              gate: `Gate ${index + 1}`,
              // Alternating in/out per pass keeps every entry legitimate (no duplicate-entry alerts).
              direction: round % 2 === 0 ? 'in' : 'out',
              scannedAt: new Date().toISOString(),
            },
            hlc: formatHlc({ wallMs: Date.now(), counter: counter++ % 99_999, node: deviceId }),
          });
        }
        const sent = performance.now();
        try {
          const response = await sendRequest(url, {
            method: 'POST',
            dispatcher,
            headers: {
              'content-type': 'application/json',
              authorization: `Bearer ${fixture.staff.accessToken}`,
              [DEVICE_ID_HEADER]: deviceId,
            },
            body: JSON.stringify({ mutations }),
            headersTimeout: 30_000,
            bodyTimeout: 30_000,
          });
          const text = await response.body.text();
          latencies.push(performance.now() - sent);
          if (response.statusCode >= 300) {
            httpErrors += 1;
            if (httpErrors <= 3) ctx.log(`[bench] push ${response.statusCode}: ${text.slice(0, 300)}`);
            continue;
          }
          for (const result of (JSON.parse(text) as PushResponse).results) {
            if (result.status === 'applied') applied += 1;
            else {
              rejected += 1;
              rejectedCodes[result.code ?? 'unknown'] = (rejectedCodes[result.code ?? 'unknown'] ?? 0) + 1;
            }
          }
        } catch (error) {
          httpErrors += 1;
          if (httpErrors <= 3) ctx.log(`[bench] push failed: ${(error as Error).message}`);
        }
      }
    };
    const { commands } = await countCommands(ctx, () =>
      Promise.all(Array.from({ length: options.devices }, (_, index) => device(index))).finally(() =>
        dispatcher.close(),
      ),
    );
    const seconds = (performance.now() - started) / 1000;
    const serverCpuSeconds = serverCpu();
    const { user, system } = process.cpuUsage(generatorCpu);
    const absorbed = await online();
    const latency = summarize(latencies);
    return {
      devices: options.devices,
      batch: BATCH,
      seconds: round(seconds, 1),
      mutations: applied,
      mutationsPerSecond: Math.round(applied / seconds),
      requestsPerSecond: Math.round(latencies.length / seconds),
      pushMsP50: latency.p50,
      pushMsP99: latency.p99,
      rejected,
      rejectedCodes,
      httpErrors,
      errors: rejected + httpErrors,
      serverPeakRssMb: rss.stop(),
      // From /proc over the measure: the server's work per applied check-in, steadier than mutations/s here.
      serverCpuSeconds,
      serverCpuSecondsPer1000: cpuPerThousand(serverCpuSeconds, applied),
      // The 50 simulated devices' own CPU (this process), on the same two cores as the server.
      loadGeneratorCpuSeconds: round((user + system) / 1e6, 2),
      ...absorbed(applied, seconds),
      ...(commands === null
        ? {}
        : { dbCommands: commands, dbCommandsPerCheckin: applied > 0 ? round(commands / applied, 1) : null }),
    };
  },
};

/** What one online device did over the window: CPU seconds, pokes received, pulls made, check-ins it stored. */
type DeviceWork = { name: string; cpuSeconds: number | null; pokes: number; pulls: number; checkinsStored: number };

/**
 * Starts watching the devices earlier measures left online (gate A and gate B after push_backlog or
 * propagation: real cores, poked by every group commit, pulling the simulated devices' check-ins as
 * they land — what a door device at a busy event does all day). The returned function stops and
 * gives a function of the applied count and the window's seconds that makes the figures: each
 * device's CPU seconds (/proc, all its threads), pokes received, pull requests and check-ins stored
 * over the window; their sums, CPU per 1,000 applied check-ins and check-ins per pull. No figures
 * when no device is open (server_throughput run alone).
 */
async function watchDevices(
  ctx: MeasureContext,
): Promise<() => Promise<(applied: number, seconds: number) => Record<string, unknown>>> {
  const devices = ctx.devices.running();
  const count = (device: (typeof devices)[number]) => device.process.call<number>({ kind: 'count', table: 'checkins' });
  const before = await Promise.all(
    devices.map(async (device) => ({
      cpu: cpuSince(device.process.pid),
      traffic: await device.process.call<SyncTraffic>({ kind: 'syncTraffic' }),
      checkins: await count(device),
    })),
  );
  return async () => {
    const cpu = before.map((start) => start.cpu());
    // CPU first, at the window's end; the counts follow (a few IPC round trips later).
    const work: DeviceWork[] = [];
    for (const [index, device] of devices.entries()) {
      const start = before[index]!;
      const traffic = await device.process.call<SyncTraffic>({ kind: 'syncTraffic' });
      work.push({
        name: device.name,
        cpuSeconds: cpu[index] ?? null,
        pokes: traffic.pokes - start.traffic.pokes,
        pulls: traffic.pulls - start.traffic.pulls,
        checkinsStored: (await count(device)) - start.checkins,
      });
    }
    return (applied, seconds) => {
      if (work.length === 0) return {};
      const cpuSeconds = work.every((device) => device.cpuSeconds !== null)
        ? round(
            work.reduce((sum, device) => sum + device.cpuSeconds!, 0),
            2,
          )
        : null;
      const pulls = work.reduce((sum, device) => sum + device.pulls, 0);
      const pokes = work.reduce((sum, device) => sum + device.pokes, 0);
      const stored = work.reduce((sum, device) => sum + device.checkinsStored, 0);
      return {
        onlineDevices: work,
        devicesCpuSeconds: cpuSeconds,
        // Per 1,000 check-ins the server applied; each device stores every one of them.
        devicesCpuSecondsPer1000: cpuPerThousand(cpuSeconds, applied),
        devicesPokes: pokes,
        devicesPulls: pulls,
        devicesPullsPerSecond: round(pulls / seconds, 1),
        devicesCheckinsPerPull: pulls > 0 ? round(stored / pulls, 1) : null,
      };
    };
  };
}
