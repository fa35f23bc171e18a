import type { SessionState, SyncStatus } from '@gatehouse/protocol';
import { DeviceProcess } from './device';
import type { MeasureContext } from './measure';
import { NetworkSwitch } from './proxy';

/** A device process and the network switch between it and the server. */
export type BenchDevice = { name: string; process: DeviceProcess; network: NetworkSwitch; synced: boolean };

/**
 * Devices shared by the measures of one run. Each reaches the server through its own NetworkSwitch,
 * so a measure can take one device offline without touching the others.
 */
export class DevicePool {
  private readonly entries = new Map<string, BenchDevice>();

  /** `agent`: the device agent's bundle (scripts/bench/agent-bundle.ts) each device process runs. */
  constructor(private readonly agent: string) {}

  async open(ctx: MeasureContext, name: string): Promise<BenchDevice> {
    const existing = this.entries.get(name);
    if (existing) return existing;
    const network = new NetworkSwitch(Number(new URL(ctx.server.baseUrl).port));
    await network.start();
    const process = await DeviceProcess.start(name, ctx.dataDir, this.agent, ctx.log).catch(async (error: unknown) => {
      await network.stop();
      throw error;
    });
    const entry: BenchDevice = { name, process, network, synced: false };
    this.entries.set(name, entry);
    return entry;
  }

  /** A device signed in as the event's staff with the whole event downloaded. */
  /**
   * A device holding the whole event. `settled` (the default): its initial sync finished, search
   * index included (phase `ready`), so a measure times its own path, not the tail of the device's
   * first sync competing for its CPU (`initial_sync` times that). `bookings`: as soon as every
   * booking is stored (scan_verdict scans while the device is still busy, as a gate opening would).
   */
  async synced(ctx: MeasureContext, name: string, until: 'settled' | 'bookings' = 'settled'): Promise<BenchDevice> {
    const entry = await this.open(ctx, name);
    if (!entry.synced) await signInAndSync(ctx, entry);
    if (until === 'settled') await untilReady(entry, ctx.options.quick ? 60_000 : 300_000);
    return entry;
  }

  /** The devices open now (online or not), in the order they were opened. */
  running(): BenchDevice[] {
    return [...this.entries.values()];
  }

  async stopAll(): Promise<void> {
    for (const entry of this.entries.values()) {
      await entry.process.stop().catch(() => undefined);
      await entry.network.stop().catch(() => undefined);
    }
    this.entries.clear();
  }
}

/**
 * Runs sync cycles until `done` holds. A failed cycle (a request timing out against a slow server)
 * is retried — paging is resumable, so progress is kept — but counted, and bounded in number.
 */
export async function syncUntil(
  entry: BenchDevice,
  done: () => Promise<boolean>,
  options: { maxCycles: number; cycleTimeoutMs: number; log: (line: string) => void },
): Promise<{ syncCycles: number; syncErrors: number }> {
  let syncErrors = 0;
  for (let cycle = 1; cycle <= options.maxCycles; cycle++) {
    try {
      const status = await entry.process.call<SyncStatus>(
        { kind: 'rpc', method: 'sync.now', params: {} },
        options.cycleTimeoutMs,
      );
      if (status.lastError) throw new Error(status.lastError);
    } catch (error) {
      syncErrors += 1;
      options.log(`[bench] ${entry.name}: sync cycle ${cycle} failed: ${(error as Error).message}`);
    }
    if (await done()) return { syncCycles: cycle, syncErrors };
  }
  throw new Error(`${entry.name}: not done after ${options.maxCycles} sync cycles (${syncErrors} failed)`);
}

/** Polls the device's sync status until its phase is `ready`; throws after `limitMs`. */
async function untilReady(entry: BenchDevice, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const status = await entry.process.call<SyncStatus>({ kind: 'rpc', method: 'sync.status', params: {} });
    if (status.phase === 'ready') return;
    if (Date.now() > deadline) throw new Error(`${entry.name}: phase ${status.phase} after ${limitMs} ms, not ready`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Signs the device in as the event's staff and syncs until every booking is in its SQLite. */
export async function signInAndSync(
  ctx: MeasureContext,
  entry: BenchDevice,
): Promise<{ syncCycles: number; syncErrors: number }> {
  const { fixture } = ctx;
  await entry.process.call<SessionState>(
    {
      kind: 'rpc',
      method: 'session.signIn',
      params: { serverUrl: entry.network.url, email: fixture.staff.email, password: fixture.staff.password },
    },
    60_000,
  );
  const result = await syncUntil(
    entry,
    async () => (await entry.process.call<number>({ kind: 'count', table: 'bookings' })) >= fixture.bookingIds.length,
    { maxCycles: 20, cycleTimeoutMs: ctx.options.quick ? 60_000 : 900_000, log: ctx.log },
  );
  entry.synced = true;
  return result;
}
