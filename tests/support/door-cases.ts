import { formatHlc, type ScanRecord } from '@gatehouse/protocol';

/**
 * Scan histories and what the door rules make of them (protocol/src/checkins), as one table that
 * protocol's unit test, the device's scanner and the server's alerts each run: whoever holds the
 * same scans must derive the same state. Each scan: id, direction, HLC wall time (ms) and gate;
 * `scannedAt` (the device's clock) deliberately disagrees with the HLC order in some cases.
 */
export type HistoryCase = {
  name: string;
  scans: Array<{
    id: string;
    direction: 'in' | 'out' | 'void';
    wallMs: number;
    gate: string;
    scannedAtMs: number;
    voids?: string;
  }>;
  /** Inside at the end. */
  inside: boolean;
  /** The entry that admitted them this time, when inside. */
  firstEntry?: string;
  /** Entries made while inside, with the entry that had admitted. */
  duplicates: Array<[checkinId: string, firstCheckinId: string]>;
};

// In the past of any run (2026-01-01 UTC): a device's own new scan orders after all of them.
const T = Date.UTC(2026, 0, 1);
const scan = (id: string, direction: 'in' | 'out', wallMs: number, gate = 'North', scannedAtMs = wallMs) => ({
  id,
  direction,
  wallMs,
  gate,
  scannedAtMs,
});
const undo = (id: string, voids: string, wallMs: number) => ({
  id,
  direction: 'void' as const,
  voids,
  wallMs,
  gate: 'North',
  scannedAtMs: wallMs,
});

export const HISTORY_CASES: HistoryCase[] = [
  { name: 'never scanned: outside', scans: [], inside: false, duplicates: [] },
  { name: 'one entry: inside since it', scans: [scan('a1', 'in', T)], inside: true, firstEntry: 'a1', duplicates: [] },
  {
    name: 'a second entry without an exit is a duplicate of the first',
    scans: [scan('a1', 'in', T), scan('a2', 'in', T + 60_000, 'South')],
    inside: true,
    firstEntry: 'a1',
    duplicates: [['a2', 'a1']],
  },
  {
    name: 'entry, exit, entry at another gate: a re-entry, not a duplicate',
    scans: [scan('a1', 'in', T), scan('a2', 'out', T + 60_000), scan('a3', 'in', T + 120_000, 'South')],
    inside: true,
    firstEntry: 'a3',
    duplicates: [],
  },
  {
    name: 'entry then exit: outside',
    scans: [scan('a1', 'in', T), scan('a2', 'out', T + 60_000)],
    inside: false,
    duplicates: [],
  },
  {
    name: 'an exit before any entry changes nothing',
    scans: [scan('a1', 'out', T), scan('a2', 'in', T + 60_000)],
    inside: true,
    firstEntry: 'a2',
    duplicates: [],
  },
  {
    name: 'ordered by HLC, not by the device clocks: a fast clock stamped the exit first',
    scans: [scan('a1', 'in', T, 'North', T + 20 * 60_000), scan('a2', 'out', T + 60_000, 'North', T + 60_000)],
    inside: false,
    duplicates: [],
  },
  {
    name: 'two offline devices admitted at once: the lower HLC admits, the other is the duplicate',
    scans: [scan('b2', 'in', T + 5, 'South'), scan('b1', 'in', T + 9, 'North')],
    inside: true,
    firstEntry: 'b2',
    duplicates: [['b1', 'b2']],
  },
  {
    name: 'an undone admission is as if never made: the next entry admits, no duplicate',
    scans: [scan('d1', 'in', T), undo('d9', 'd1', T + 30_000), scan('d2', 'in', T + 60_000, 'South')],
    inside: true,
    firstEntry: 'd2',
    duplicates: [],
  },
  {
    name: 'the only admission undone: outside, as if never scanned',
    scans: [scan('e1', 'in', T), undo('e9', 'e1', T + 30_000)],
    inside: false,
    duplicates: [],
  },
  {
    name: 'equal HLC wall times: the id breaks the tie the same way everywhere',
    scans: [scan('c2', 'in', T), scan('c1', 'in', T, 'South')],
    inside: true,
    firstEntry: 'c1',
    duplicates: [['c2', 'c1']],
  },
];

/** The case's scans as records, every HLC on one node so the wall time alone orders them. */
export function recordsOf(
  historyCase: HistoryCase,
  bookingId = 'booking-1',
): Array<ScanRecord & { bookingId: string }> {
  return historyCase.scans.map((entry) => ({
    id: entry.id,
    bookingId,
    direction: entry.direction,
    ...(entry.voids ? { voids: entry.voids } : {}),
    hlc: formatHlc({ wallMs: entry.wallMs, counter: 0, node: 'dev' }),
    gate: entry.gate,
    scannedAt: new Date(entry.scannedAtMs).toISOString(),
    deviceId: 'device-1',
  }));
}
