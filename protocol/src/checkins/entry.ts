import { compareHlc } from '../hlc';

/** One scan of a ticket as device and server both hold it (a check-in row, whatever its origin). */
export type ScanRecord = {
  id: string;
  /** An entry, an exit, or a void: the undoing of the admission named by `voids`. */
  direction: 'in' | 'out' | 'void';
  voids?: string | undefined;
  /** The HLC every party orders by: the one the server stored (clamped, see sync/push.ts). */
  hlc: string;
  gate: string;
  /** Device time of the scan (ISO, UTC); shown, never used to order. */
  scannedAt: string;
  deviceId: string;
};

/** A scan named in a verdict or an alert: which, where, when, by which device. */
export type EntryRef = { checkinId: string; gate: string; scannedAt: string; deviceId: string };

/**
 * Where a ticket holder is, from the ticket's scans:
 * - inside, since `firstEntry` (the entry that admitted them this time);
 * - outside: never admitted, or left at `lastExit` (null when they never left).
 */
export type EntryState =
  { inside: true; firstEntry: EntryRef } | { inside: false; admitted: boolean; lastExit: EntryRef | null };

/** The state of a ticket no one has scanned. */
export const NOT_ENTERED: EntryState = { inside: false, admitted: false, lastExit: null };

/** An entry made while already inside, with the entry that had admitted. */
export type DuplicateEntry = { checkinId: string; firstCheckinId: string };

/**
 * The one order of a ticket's scans: HLC, then id. Device clocks may be wrong, so `scannedAt` never
 * orders; the HLC is the server's stored one (causal, bounded lead), and the id breaks exact ties
 * the same way everywhere. Every party holding the same scans thus derives the same state
 * (docs/ARCHITECTURE.md §3, Conflicts).
 */
export function compareScans(a: Pick<ScanRecord, 'id' | 'hlc'>, b: Pick<ScanRecord, 'id' | 'hlc'>): number {
  return compareHlc(a.hlc, b.hlc) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function refOf(scan: ScanRecord): EntryRef {
  return { checkinId: scan.id, gate: scan.gate, scannedAt: scan.scannedAt, deviceId: scan.deviceId };
}

/** What ordering and replay read of a scan. */
export type OrderedScan = Pick<ScanRecord, 'id' | 'direction' | 'hlc' | 'voids'>;

/**
 * Replays a ticket's scans in `compareScans` order: an entry admits when outside and is a
 * duplicate when inside; an exit lets out whoever is inside and changes nothing otherwise. A voided
 * entry (`checkin.void`) is left out as if never made — whenever the void arrived — and the void
 * itself moves no one. Inside at the end exactly when the last scan left in that order is an entry.
 */
export function replayScans<S extends OrderedScan>(
  scans: readonly S[],
): { admittedBy: S | null; lastExit: S | null; admitted: boolean; duplicates: DuplicateEntry[] } {
  const voided = new Set<string>();
  for (const scan of scans) if (scan.direction === 'void' && scan.voids) voided.add(scan.voids);
  const ordered = scans.filter((scan) => scan.direction !== 'void' && !voided.has(scan.id)).sort(compareScans);
  const duplicates: DuplicateEntry[] = [];
  let admittedBy: S | null = null;
  let lastExit: S | null = null;
  let admitted = false;
  for (const scan of ordered) {
    if (scan.direction === 'out') {
      if (admittedBy) {
        admittedBy = null;
        lastExit = scan;
      }
    } else if (admittedBy) {
      duplicates.push({ checkinId: scan.id, firstCheckinId: admittedBy.id });
    } else {
      admittedBy = scan;
      admitted = true;
    }
  }
  return { admittedBy, lastExit, admitted, duplicates };
}

/** The ticket's entry state from its scans (see replayScans). */
export function entryStateOf(scans: readonly ScanRecord[]): EntryState {
  const { admittedBy, lastExit, admitted } = replayScans(scans);
  if (admittedBy) return { inside: true, firstEntry: refOf(admittedBy) };
  return { inside: false, admitted, lastExit: lastExit ? refOf(lastExit) : null };
}

/** The duplicate entries among a ticket's scans, the same wherever and in whatever order they arrived. */
export function findDuplicateEntries(scans: readonly OrderedScan[]): DuplicateEntry[] {
  return replayScans(scans).duplicates;
}
