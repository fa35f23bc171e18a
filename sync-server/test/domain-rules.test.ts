import type { Attendee } from '@gatehouse/protocol';
import { describe, expect, it } from 'vitest';
import { HISTORY_CASES, recordsOf } from '../../tests/support/door-cases';
import { checkinAlertsFor, deriveCheckinAlerts } from '../src/checkins/service';
import { eventEdit } from '../src/events/service';
import { computeEventStats } from '../src/events/stats';
import type { BookingRow, CheckinRow, EventRow } from '../src/store/rows';

/** The domain's pure rules, without a store: what the adapters call inside their writes. */

const hlc = (ms: number, node = 'a') => `${String(ms).padStart(15, '0')}:00000:${node}`;

function event(overrides: Partial<EventRow> = {}): EventRow {
  return {
    id: 'ev',
    rev: 3,
    title: 'T',
    description: '',
    venue: 'Hall',
    startsAt: '2030-01-01T18:00:00.000Z',
    endsAt: '2030-01-01T22:00:00.000Z',
    startsAtMs: Date.parse('2030-01-01T18:00:00.000Z'),
    endsAtMs: Date.parse('2030-01-01T22:00:00.000Z'),
    timezone: 'Europe/Berlin',
    capacity: 10,
    status: 'published',
    ticketTypes: [
      { id: 'std', name: 'Standard', price: 0, quota: 10 },
      { id: 'vip', name: 'VIP', price: 0, quota: 2 },
    ],
    allowReentry: true,
    staffWalkIns: false,
    eraseAttendeesAfterDays: null,
    organizerId: 'org',
    staffIds: [],
    bookedCount: 0,
    typeSold: {},
    fieldHlc: { title: hlc(100), venue: hlc(100), startsAt: hlc(100), endsAt: hlc(100), status: hlc(100) },
    createdAt: '2029-01-01T00:00:00.000Z',
    updatedAt: '2029-01-01T00:00:00.000Z',
    deletedAt: null,
    ...overrides,
  };
}

const noSeats = { booked: 0, byType: {} };

describe('eventEdit: per-field last writer wins by HLC', () => {
  it('a newer stamp sets its fields and their clocks; an older one changes nothing', () => {
    const newer = eventEdit({ title: 'New' }, hlc(200), 'now')(event(), noSeats);
    expect(newer?.set).toMatchObject({
      title: 'New',
      updatedAt: 'now',
      fieldHlc: { title: hlc(200), venue: hlc(100) },
    });
    expect(eventEdit({ title: 'Old' }, hlc(50), 'now')(event(), noSeats)).toBeNull();
  });

  it('mail is owed for a moved venue or time and for a cancellation (each named after the next rev), not for a title', () => {
    expect(eventEdit({ title: 'x' }, hlc(200), 'now')(event(), noSeats)?.mail).toEqual([]);
    expect(eventEdit({ venue: 'Elsewhere' }, hlc(200), 'now')(event(), noSeats)?.mail).toEqual(['eventChanged:4']);
    expect(eventEdit({ venue: 'Hall' }, hlc(200), 'now')(event(), noSeats)?.mail).toEqual([]);
    expect(eventEdit({ status: 'cancelled' }, hlc(200), 'now')(event(), noSeats)?.mail).toEqual(['eventCancelled:4']);
    const moved = eventEdit({ startsAt: '2030-01-01T19:00:00.000Z' }, hlc(200), 'now')(event(), noSeats);
    expect(moved?.set.startsAtMs).toBe(Date.parse('2030-01-01T19:00:00.000Z'));
  });

  it('refuses an end before the start, and removing a ticket type that has bookings', () => {
    expect(() => eventEdit({ endsAt: '2030-01-01T17:00:00.000Z' }, hlc(200), 'now')(event(), noSeats)).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }),
    );
    const onlyStandard = [{ id: 'std', name: 'Standard', price: 0, quota: 10 }];
    expect(() =>
      eventEdit({ ticketTypes: onlyStandard }, hlc(200), 'now')(event(), { booked: 1, byType: { vip: 1 } }),
    ).toThrow(expect.objectContaining({ code: 'CONFLICT' }));
    expect(eventEdit({ ticketTypes: onlyStandard }, hlc(200), 'now')(event(), noSeats)?.set.ticketTypes).toEqual(
      onlyStandard,
    );
  });

  it('a ticket type id the event does not have is re-issued, not trusted', () => {
    const edit = eventEdit({ ticketTypes: [{ id: 'forged', name: 'New', price: 1, quota: 1 }] }, hlc(200), 'now');
    expect(edit(event(), noSeats)?.set.ticketTypes?.[0]?.id).toMatch(/^tt_/);
  });
});

const attendee: Attendee = { name: 'Ada' };
const booking = (status: 'confirmed' | 'cancelled' = 'confirmed'): BookingRow => ({
  id: 'b1',
  rev: 1,
  eventId: 'ev',
  userId: 'u',
  ticketTypeId: 'std',
  quantity: 1,
  attendee,
  status,
  source: 'online',
  overCapacity: false,
  code: 'C',
  createdAt: '',
  cancelledAt: null,
  erasedAt: null,
});
const scan = (id: string, direction: 'in' | 'out', at: number): CheckinRow => ({
  id,
  rev: 1,
  eventId: 'ev',
  bookingId: 'b1',
  gate: `G-${id}`,
  direction,
  scannedAt: new Date(at).toISOString(),
  deviceId: 'd',
  staffId: 's',
  hlc: hlc(at),
  receivedAt: '',
});
const fact = (row: CheckinRow) => ({
  checkinId: row.id,
  direction: row.direction,
  hlc: row.hlc,
  gate: row.gate,
  voids: row.voids,
});

describe('check-in alerts', () => {
  it('duplicates follow HLC order, whatever order the scans arrived in; an exit ends the stay', () => {
    const [a, b, c, d] = [scan('a', 'in', 10), scan('b', 'in', 20), scan('c', 'out', 30), scan('d', 'in', 40)];
    const alerts = deriveCheckinAlerts(booking(), b, [d, c, b, a].map(fact));
    expect(alerts).toMatchObject([{ id: 'dup-b', kind: 'duplicateEntry', checkinId: 'b', firstCheckinId: 'a' }]);
    expect(alerts[0]!.message).toContain('G-b');
  });

  it("a ticket's first scan and an exit raise nothing; a cancelled booking let in raises its own alert", () => {
    expect(deriveCheckinAlerts(booking(), scan('a', 'in', 10), [fact(scan('a', 'in', 10))])).toEqual([]);
    expect(deriveCheckinAlerts(booking('cancelled'), scan('x', 'out', 10), [])).toEqual([]);
    expect(deriveCheckinAlerts(booking('cancelled'), scan('x', 'in', 10), [])).toMatchObject([
      { id: 'cancelled-x', kind: 'cancelledCheckin' },
    ]);
  });

  it('a scan made after its event was cancelled raises an alert, even on a confirmed booking; one made before does not', () => {
    const cancelled = checkinAlertsFor({ status: 'cancelled', fieldHlc: { status: hlc(50) } });
    const late = scan('x', 'in', 60);
    const alerts = cancelled(booking(), late, [fact(late)]);
    expect(alerts).toMatchObject([{ id: 'cancelled-x', kind: 'cancelledCheckin', checkinId: 'x' }]);
    expect(alerts[0]!.message).toContain('the event is cancelled');
    // Let in before the cancellation, pushed after it: rightly admitted then.
    const early = scan('y', 'in', 40);
    expect(cancelled(booking(), early, [fact(early)])).toEqual([]);
  });

  // The door rules' shared table (protocol/src/checkins), as the server's alerts use them.
  for (const historyCase of HISTORY_CASES) {
    it(`the door table: ${historyCase.name}`, () => {
      const rows: CheckinRow[] = recordsOf(historyCase, 'b1').map((record) => ({
        ...record,
        rev: 1,
        eventId: 'ev',
        staffId: 's',
        receivedAt: '',
      }));
      const history = rows.map(fact);
      const raised = rows.flatMap((row) => deriveCheckinAlerts(booking(), row, history));
      expect(raised.map((alert) => [alert.checkinId, alert.firstCheckinId])).toEqual(
        historyCase.duplicates.length > 0 ? expect.arrayContaining(historyCase.duplicates) : [],
      );
      expect(new Set(raised.map((alert) => alert.id)).size).toBe(historyCase.duplicates.length);
    });
  }
});

const statsScan = (
  id: string,
  at: number,
  bookingId: string,
  ticketTypeId: string,
  gate: string,
  direction: 'in' | 'out',
  scannedAt: string,
  bookingStatus: 'confirmed' | 'cancelled' = 'confirmed',
) => ({ id, hlc: hlc(at), bookingId, ticketTypeId, bookingStatus, gate, direction, scannedAt });

describe('computeEventStats', () => {
  it('counts seats by status and type, entries per gate and UTC hour, who entered and who is inside', () => {
    const stats = computeEventStats(event(), {
      seats: [
        { ticketTypeId: 'std', status: 'confirmed', seats: 3 },
        { ticketTypeId: 'vip', status: 'confirmed', seats: 1 },
        { ticketTypeId: 'std', status: 'cancelled', seats: 4 },
      ],
      scans: [
        statsScan('a1', 10, 'a', 'std', 'N', 'in', '2030-01-01T18:05:00Z'),
        statsScan('a2', 20, 'a', 'std', 'N', 'out', '2030-01-01T18:40:00Z'),
        statsScan('b1', 30, 'b', 'vip', 'S', 'in', '2030-01-01T19:20:00+01:00'),
        statsScan('b2', 40, 'b', 'vip', 'S', 'in', 'garbage'),
        statsScan('c1', 50, 'c', 'std', 'S', 'in', '2030-01-01T18:10:00Z', 'cancelled'),
      ],
    });
    expect(stats).toMatchObject({ booked: 4, cancelled: 4, checkedIn: 2, inside: 1, admittedThenCancelled: 1 });
    expect(stats.byTicketType.map((type) => [type.ticketTypeId, type.booked, type.checkedIn])).toEqual([
      ['std', 3, 1],
      ['vip', 1, 1],
    ]);
    expect(stats.byGate).toEqual([
      { gate: 'N', entries: 1, exits: 1 },
      { gate: 'S', entries: 3, exits: 0 },
    ]);
    // Gates and hours count scans as made; only the admission figures separate cancelled bookings.
    expect(stats.byHour).toEqual([{ hour: '2030-01-01T18:00:00.000Z', entries: 3 }]);
  });
});
