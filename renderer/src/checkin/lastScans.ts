import { compareScans, type RpcResult } from '@gatehouse/protocol';
import { REFUSAL_WORDS, verdictOfRefusal } from './refusalWords';

export type RecentCheckin = RpcResult<'checkin.recent'>[number];
export type ListedRefusal = RpcResult<'checkin.refusals'>[number];

/** One line of Last scans: any verdict a door of the event gave, newest first. */
export type LastScan = {
  id: string;
  /** The scan's HLC: what orders it among the others. */
  hlc: string;
  /** The verdict's class (admit, exit, undone, duplicate, noReentry, cancelled, wrongEvent, invalid). */
  verdict: string;
  /** The guest's name; empty when the ticket named no booking on this device. */
  attendeeName: string;
  /** Why a refusal was given, in words; null for an admission, exit or undo. */
  reason: string | null;
  gate: string;
  scannedAt: string;
  deviceId: string;
  /** Set on an admission that is still in force: the check-in an Undo would void. */
  undoableCheckinId: string | null;
};

/**
 * Check-ins (admissions, exits, undos) and refusals of an event, merged in the one scan order (HLC,
 * then id) and cut to `limit`. An admission whose void is listed is not offered for undo: a void is
 * always later than the admission it names, so when the admission is listed, so is its void.
 */
export function mergeLastScans(checkins: RecentCheckin[], refusals: ListedRefusal[], limit: number): LastScan[] {
  const voided = new Set(checkins.flatMap((scan) => (scan.voids ? [scan.voids] : [])));
  const rows: LastScan[] = [
    ...checkins.map((scan) => ({
      id: scan.id,
      hlc: scan.hlc,
      verdict: scan.verdict,
      attendeeName: scan.attendeeName,
      reason: null,
      gate: scan.gate,
      scannedAt: scan.scannedAt,
      deviceId: scan.deviceId,
      undoableCheckinId: scan.direction === 'in' && !voided.has(scan.id) ? scan.id : null,
    })),
    ...refusals.map((refusal) => ({
      id: refusal.id,
      hlc: refusal.hlc,
      verdict: verdictOfRefusal(refusal.reason),
      attendeeName: refusal.attendeeName,
      reason: REFUSAL_WORDS[refusal.reason],
      gate: refusal.gate,
      scannedAt: refusal.scannedAt,
      deviceId: refusal.deviceId,
      undoableCheckinId: null,
    })),
  ];
  rows.sort((a, b) => compareScans(b, a));
  return rows.slice(0, limit);
}
