import { randomUUID } from 'node:crypto';
// Ids as a device makes them (time-ordered), so the server's writes are what devices cause.
import { newRowId } from '../../../electron/core/sync/ids';
import { DEVICE_ID_HEADER, formatHlc, type PullResponse, type PushResponse } from '@gatehouse/protocol';
import { SkipMeasure, type Measure, type MeasureContext } from '../measure';
import { MongoWireCounter, type CommandTotals } from '../mongo-wire';
import { round } from '../stats';

/** Check-ins per push, as server_throughput sends them. */
const BATCH = 10;
/** The page size a device asks for (electron/core: pullLimit 500); smaller in quick mode, where the event is small. */
const PAGE = 500;
const QUICK_PAGE = 50;

/**
 * The commands of one step, most frequent first: `{"update bookings": {perUnit, msPerUnit}}`.
 * `msPerUnit` sums the commands' round trips; commands sent side by side overlap, so it can exceed
 * the step's wall time.
 */
function breakdown(byCommand: CommandTotals, units: number): Record<string, { perUnit: number; msPerUnit: number }> {
  return Object.fromEntries(
    [...byCommand.entries()]
      .sort((a, b) => b[1].count - a[1].count)
      .map(([key, { count, ms }]) => [key, { perUnit: round(count / units, 2), msPerUnit: round(ms / units, 2) }]),
  );
}

async function call(ctx: MeasureContext, url: string, deviceId: string, init: RequestInit = {}): Promise<string> {
  const response = await fetch(`${ctx.server.baseUrl}${url}`, {
    ...init,
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${ctx.fixture.staff.accessToken}`,
      [DEVICE_ID_HEADER]: deviceId,
    },
    signal: AbortSignal.timeout(120_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${url} → ${response.status} ${text.slice(0, 300)}`);
  return text;
}

/**
 * Database commands per check-in and per pulled page, on the MongoDB adapter (FerretDB here; the
 * count carries over to a real MongoDB only where both take the same path — FerretDB lacks the
 * capabilities of the straight path). One device id pushes batches of 10 check-ins one after the
 * other; then a fresh device id pulls the event from the start, page by page (500 changes a page,
 * as the core asks). Nothing else talks to the server meanwhile. Each command is counted on the
 * wire (see mongo-wire.ts) with its round-trip time; the busiest are listed per unit of work — what
 * `scripts/bench/profile-push.ts` printed before. The SQLite store has no commands: skipped there.
 */
export const dbCommands: Measure = {
  name: 'db_commands',
  timeLimitSeconds: 600,
  async run(ctx) {
    const counter = ctx.commands;
    if (typeof counter === 'string') throw new SkipMeasure(counter);
    const { fixture, options } = ctx;
    // Devices still online would pull every check-in pushed here, and their pulls would count too.
    await ctx.devices.stopAll();
    const batches = options.quick ? 3 : 20;
    const maxPages = options.quick ? 2 : 10;
    const pageSize = options.quick ? QUICK_PAGE : PAGE;

    // One push first, so a device's first sight (its registration) is not counted against check-ins.
    const deviceId = randomUUID();
    let counterValue = 0;
    const push = async (bookingIds: string[]) => {
      const mutations = bookingIds.map((bookingId) => ({
        id: newRowId(),
        name: 'checkin.record',
        args: {
          id: newRowId(),
          eventId: fixture.eventId,
          bookingId,
          gate: 'Gate DB',
          direction: 'in',
          scannedAt: new Date().toISOString(),
        },
        hlc: formatHlc({ wallMs: Date.now(), counter: counterValue++, node: deviceId }),
      }));
      const text = await call(ctx, '/sync/push', deviceId, { method: 'POST', body: JSON.stringify({ mutations }) });
      const results = (JSON.parse(text) as PushResponse).results;
      const notApplied = results.filter((result) => result.status !== 'applied');
      if (notApplied.length > 0) throw new Error(`push rejected: ${JSON.stringify(notApplied[0])}`);
    };
    await push(ctx.takeBookings(1));

    const pushBefore = counter.snapshot();
    const pushStarted = performance.now();
    for (let i = 0; i < batches; i++) await push(ctx.takeBookings(BATCH));
    const pushMs = performance.now() - pushStarted;
    const pushed = MongoWireCounter.diff(pushBefore, counter.snapshot());
    const checkins = batches * BATCH;

    // A fresh device: its first pull registers it and starts its buckets; count from the second page.
    const puller = randomUUID();
    let cursor: string | undefined;
    const pull = async () => {
      const query = new URLSearchParams({ limit: String(pageSize), ...(cursor ? { cursor } : {}) });
      const page = JSON.parse(await call(ctx, `/sync/pull?${query}`, puller)) as PullResponse;
      cursor = page.cursor;
      return page;
    };
    let page = await pull();
    const pullBefore = counter.snapshot();
    const pullStarted = performance.now();
    let pages = 0;
    let changes = 0;
    while (page.hasMore && pages < maxPages) {
      page = await pull();
      pages += 1;
      changes += page.changes.length;
    }
    const pullMs = performance.now() - pullStarted;
    const pulled = MongoWireCounter.diff(pullBefore, counter.snapshot());
    if (pages === 0) throw new Error('the event fits one page: use more bookings to count commands per page');

    return {
      checkins,
      batch: BATCH,
      commandsPerCheckin: round(pushed.total / checkins, 2),
      pushMsPerCheckin: round(pushMs / checkins, 2),
      pushCommands: breakdown(pushed.byCommand, checkins),
      pages,
      pageSize,
      changesPerPage: Math.round(changes / pages),
      commandsPerPage: round(pulled.total / pages, 2),
      pullMsPerPage: round(pullMs / pages, 1),
      pullCommands: breakdown(pulled.byCommand, pages),
    };
  },
};
