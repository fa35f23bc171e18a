import type { RefusalReason } from '@gatehouse/protocol';
import { describe, expect, it } from 'vitest';
import { mergeLastScans, type ListedRefusal, type RecentCheckin } from './lastScans';

const base = { eventId: 'e', bookingId: 'b', deviceId: 'd', staffId: 's', receivedAt: '', attendeeName: 'Ann' };
const checkin = (id: string, hlc: string, direction: 'in' | 'out' | 'void', voids?: string): RecentCheckin => ({
  ...base,
  id,
  hlc,
  gate: 'North',
  direction,
  ...(voids ? { voids } : {}),
  scannedAt: '2026-01-01T20:00:00Z',
  verdict: direction === 'in' ? 'admit' : direction === 'out' ? 'exit' : 'undone',
});
const refusal = (id: string, hlc: string, reason: RefusalReason): ListedRefusal => ({
  ...base,
  id,
  hlc,
  gate: 'South',
  direction: 'in',
  reason,
  bookingId: null,
  ticketEventId: null,
  scannedAt: '2026-01-01T20:00:00Z',
});

describe('Last scans', () => {
  it('lists admissions, exits, undos and refusals together, newest first, with the refusal’s reason', () => {
    const rows = mergeLastScans(
      [checkin('c3', '0003', 'void', 'c1'), checkin('c1', '0001', 'in'), checkin('c2', '0002', 'in')],
      [refusal('r1', '0004', 'alreadyInside'), refusal('r0', '0000', 'signature')],
      4,
    );
    expect(rows.map((row) => [row.id, row.verdict, row.reason])).toEqual([
      ['r1', 'duplicate', 'Already inside'],
      ['c3', 'undone', null],
      ['c2', 'admit', null],
      ['c1', 'admit', null],
    ]);
    // The undone admission is not offered for undo again; the one still in force is.
    expect(rows.map((row) => row.undoableCheckinId)).toEqual([null, null, 'c2', null]);
  });
});
