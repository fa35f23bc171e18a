import {
  type Change,
  type Checkin,
  countAdmissions,
  type Event,
  generateTicketKeyPair,
  scansByBooking,
} from '@gatehouse/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HISTORY_CASES, recordsOf } from '../../../tests/support/door-cases';
import type { Scanner } from '../checkins/scan';
import { EventQueries } from '../events/queries';
import type { AccountStore } from '../store';
import { USER_ID, bookingDoc, eventDoc, keyChange, openTempStore, page, scannerOf, ticketFor } from './fixtures';

/**
 * The door rules (protocol/src/checkins) as the device applies them: its scanner and its counters
 * read the same rules the server's alerts and stats do. The shared table of scan histories runs
 * here through a real SQLite store.
 */

const EVENT = 'ev-door';
const HOUR = 3_600_000;
let store: AccountStore;
let scanner: Scanner;
let keys: ReturnType<typeof generateTicketKeyPair>;
let seq = 0;

function serverRows(changes: Array<Omit<Change, 'bucket' | 'seq'>>) {
  store.applyPullPage(page(changes.map((change) => ({ ...change, bucket: `event:${EVENT}`, seq: ++seq }) as Change)));
}
const setEvent = (overrides: Partial<Event>, rev: number) =>
  serverRows([{ type: 'event', id: EVENT, rev, doc: eventDoc(EVENT, overrides) }]);

beforeEach(() => {
  store = openTempStore();
  keys = generateTicketKeyPair();
  seq = 0;
  store.applyPullPage(
    page(
      [
        { bucket: `event:${EVENT}`, seq: ++seq, type: 'event', id: EVENT, rev: 1, doc: eventDoc(EVENT) },
        keyChange(EVENT, keys, ++seq),
        ...[0, 1, 2, 3].map((index): Change => ({
          bucket: `event:${EVENT}`,
          seq: ++seq,
          type: 'booking',
          id: `${EVENT}-b${index}`,
          rev: 1,
          doc: bookingDoc(EVENT, index),
        })),
      ],
      { bucketsAdded: [`event:${EVENT}`] },
    ),
  );
  scanner = scannerOf(store);
});
afterEach(() => store.close());

const ticket = (index: number, window?: { from: number; until: number }) =>
  ticketFor(EVENT, `${EVENT}-b${index}`, keys, window);
const enter = (text: string, gate = 'North') => scanner.scan({ eventId: EVENT, gate, scan: text });
const leave = (text: string, gate = 'North') => scanner.scan({ eventId: EVENT, gate, scan: text, direction: 'out' });

describe('the door table on the device: its scanner and counters', () => {
  for (const historyCase of HISTORY_CASES) {
    it(historyCase.name, () => {
      const bookingId = `${EVENT}-b0`;
      const records = recordsOf(historyCase, bookingId);
      serverRows(
        records.map((record) => {
          const doc: Checkin = { ...record, eventId: EVENT, staffId: USER_ID, receivedAt: record.scannedAt };
          return { type: 'checkin', id: record.id, rev: 1, doc };
        }),
      );
      // The counters' SQL against protocol's countAdmissions on the same scans.
      const rules = countAdmissions(scansByBooking(records), () => ({ status: 'confirmed', ticketTypeId: null }));
      expect(new EventQueries(store).counters(EVENT)).toMatchObject({
        admitted: rules.checkedIn,
        inside: rules.inside,
        admittedThenCancelled: 0,
      });
      const verdict = enter(ticket(0), 'East');
      if (historyCase.inside) {
        expect(verdict).toMatchObject({ verdict: 'duplicate', firstEntry: { checkinId: historyCase.firstEntry } });
      } else {
        expect(verdict.verdict).toBe('admit');
      }
      const counts = new EventQueries(store).counters(EVENT);
      expect(counts).toMatchObject({ admitted: 1, inside: 1 });
    });
  }
});

describe('door rules on the device', () => {
  it("judges time by the event's current dates: a ticket issued before a reschedule admits at the new time", () => {
    const now = Math.floor(Date.now() / 1000);
    // Issued for dates three days ago; the event was moved to now.
    const stale = ticket(1, { from: now - 3 * 86_400, until: now - 3 * 86_400 + 4 * 3600 });
    expect(enter(stale)).toMatchObject({ verdict: 'admit', reason: null });
    // An event that is over refuses even a ticket whose own window says otherwise.
    setEvent(
      {
        startsAt: new Date(Date.now() - 72 * HOUR).toISOString(),
        endsAt: new Date(Date.now() - 68 * HOUR).toISOString(),
      },
      2,
    );
    expect(enter(ticket(2))).toMatchObject({ verdict: 'invalid', reason: 'expired', checkinId: null });
  });

  it('a cancelled event voids every ticket: "event cancelled", no admission, the refusal kept', () => {
    setEvent({ status: 'cancelled' }, 2);
    const pending = store.outbox.count();
    expect(enter(ticket(1))).toMatchObject({ verdict: 'cancelled', reason: 'eventCancelled', checkinId: null });
    expect(store.outbox.peek(100).slice(pending)).toMatchObject([
      { name: 'scan.refuse', args: { reason: 'eventCancelled', bookingId: `${EVENT}-b1`, gate: 'North' } },
    ]);
  });

  it('a signed ticket whose booking is not on the device yet is admitted, saying so; a typed unknown code is not', () => {
    const early = ticketFor(EVENT, 'booked-a-minute-ago', keys);
    const first = enter(early);
    expect(first).toMatchObject({ verdict: 'admit', reason: 'bookingNotOnDevice', booking: null });
    expect(first.message).toMatch(/not yet on this device/);
    expect(store.outbox.peek(100).at(-1)).toMatchObject({
      name: 'checkin.record',
      args: { bookingId: 'booked-a-minute-ago', direction: 'in' },
    });
    // Its scans are on the device, so a second scan is a duplicate even before the booking arrives.
    expect(enter(early, 'South')).toMatchObject({ verdict: 'duplicate', firstEntry: { checkinId: first.checkinId } });
    expect(enter('ZZZZ9999')).toMatchObject({ verdict: 'invalid', reason: 'unknownBooking' });
  });

  it('an exit then a re-entry at another gate admits again; the counters follow', () => {
    const first = enter(ticket(3), 'North');
    expect(leave(ticket(3), 'North')).toMatchObject({ verdict: 'exit', reason: null });
    expect(new EventQueries(store).counters(EVENT)).toMatchObject({ admitted: 1, inside: 0 });
    const again = enter(ticket(3), 'South');
    // It says it is a re-entry, naming the exit, so a shared ticket's second holder stands out.
    expect(again).toMatchObject({ verdict: 'admit', reason: 'reentry' });
    expect(again.message).toMatch(/^Welcome back, .+ — re-entry \(left \d\d:\d\d, North\)$/);
    expect(again.checkinId).not.toBe(first.checkinId);
    expect(new EventQueries(store).counters(EVENT, 'South')).toMatchObject({
      admitted: 1,
      inside: 1,
      admittedAtGate: 1,
    });
  });

  it('an event without re-entry refuses a ticket that left, naming the exit', () => {
    setEvent({ allowReentry: false }, 2);
    enter(ticket(3), 'North');
    leave(ticket(3), 'West');
    const refused = enter(ticket(3), 'South');
    expect(refused).toMatchObject({ verdict: 'noReentry', reason: 'reentryNotAllowed', checkinId: null });
    expect(refused.message).toMatch(/Left at \d\d:\d\d \(West\)/);
  });

  it('counts: a booking cancelled after its holder was admitted leaves "admitted" for its own line', () => {
    enter(ticket(0));
    enter(ticket(1));
    serverRows([{ type: 'booking', id: `${EVENT}-b1`, rev: 2, doc: bookingDoc(EVENT, 1, { status: 'cancelled' }) }]);
    expect(new EventQueries(store).counters(EVENT)).toMatchObject({
      admitted: 1,
      inside: 1,
      cancelled: 1,
      admittedThenCancelled: 1,
    });
  });

  it("names the ticket's event when the device holds it", () => {
    const otherKeys = generateTicketKeyPair();
    store.applyPullPage(
      page(
        [
          {
            bucket: 'event:ev-gala',
            seq: 1,
            type: 'event',
            id: 'ev-gala',
            rev: 1,
            doc: eventDoc('ev-gala', { title: 'Winter Gala' }),
          },
          keyChange('ev-gala', otherKeys, 2),
        ],
        { bucketsAdded: ['event:ev-gala'] },
      ),
    );
    expect(enter(ticketFor('ev-gala', 'gala-1', otherKeys))).toMatchObject({
      verdict: 'wrongEvent',
      message: 'Ticket is for another event: Winter Gala',
    });
  });
});
