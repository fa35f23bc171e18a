import { randomBytes } from 'node:crypto';
import { bookingCodeFromBytes, type Event } from '@gatehouse/protocol';
import type { AppContext } from '../context';
import type { NewBooking } from '../store/port';

export const DEMO_EVENT_ID = 'demo-event';
export const DEMO_BOOKING_COUNT = 2000;
const HOUR_MS = 3_600_000;

const FIRST = [
  'Ada',
  'Grace',
  'Alan',
  'Edsger',
  'Barbara',
  'Donald',
  'Frances',
  'Ken',
  'Radia',
  'Tim',
  'Margaret',
  'John',
];
const LAST = [
  'Lovelace',
  'Hopper',
  'Turing',
  'Dijkstra',
  'Liskov',
  'Knuth',
  'Allen',
  'Thompson',
  'Perlman',
  'Berners-Lee',
];

function demoBooking(
  eventId: string,
  index: number,
  ticketTypeId: string,
  createdAt: string,
): NewBooking & { code: string } {
  const name = `${FIRST[index % FIRST.length]} ${LAST[Math.floor(index / FIRST.length) % LAST.length]} ${index + 1}`;
  return {
    id: `demo-booking-${String(index + 1).padStart(4, '0')}`,
    eventId,
    // An imported guest list: guests without accounts of their own.
    userId: `demo-guest-${index + 1}`,
    ticketTypeId,
    quantity: 1,
    attendee: { name, email: `guest${String(index + 1).padStart(4, '0')}@example.org` },
    source: 'online',
    code: bookingCodeFromBytes(randomBytes(8)),
    createdAt,
  };
}

/**
 * A published demo event of the demo organizer, a few hours ahead, with the demo staff assigned and
 * 2,000 bookings, imported in bulk (no confirmation mails for invented guests). Idempotent: a
 * finished seed (the event's booked seats at DEMO_BOOKING_COUNT or more) is skipped; an interrupted
 * one is completed (existing ids are skipped).
 */
export async function seedDemoEvent(
  ctx: AppContext,
  accounts: { organizerEmail: string; staffEmail: string },
  log: (line: string) => void,
): Promise<void> {
  const organizer = await ctx.store.users.findByEmail(accounts.organizerEmail);
  const staff = await ctx.store.users.findByEmail(accounts.staffEmail);
  if (!organizer || !staff) throw new Error('demo organizer and staff accounts must exist first');
  const started = Date.now();
  let event: Event;
  const existing = await ctx.events.findRow(DEMO_EVENT_ID);
  if (existing) {
    event = await ctx.events.get(organizer, DEMO_EVENT_ID);
  } else {
    const startsAt = new Date(Math.ceil((Date.now() + 3 * HOUR_MS) / HOUR_MS) * HOUR_MS);
    await ctx.events.create(
      organizer,
      {
        title: 'Gatehouse Demo Festival',
        description: 'A demo event with 2,000 bookings, for trying check-in and sync.',
        venue: 'Exhibition Hall 3, Messeplatz 1',
        startsAt: startsAt.toISOString(),
        endsAt: new Date(startsAt.getTime() + 6 * HOUR_MS).toISOString(),
        timezone: 'Europe/Berlin',
        capacity: 2500,
        status: 'published',
        allowReentry: true,
        // Staff signing in to the demo can try adding a walk-in at the door.
        staffWalkIns: true,
        eraseAttendeesAfterDays: null,
        ticketTypes: [
          { name: 'Standard', price: 3500, quota: 2000 },
          { name: 'VIP', price: 12000, quota: 300 },
          { name: 'Crew', price: 0, quota: 200 },
        ],
      },
      { id: DEMO_EVENT_ID },
    );
    event = await ctx.events.setStaff(organizer, DEMO_EVENT_ID, [staff.id]);
  }

  // A finished seed holds every demo seat (one a booking): skipped without an import, which would
  // look every id up again — 5 s at every start on FerretDB, whose `$in` compares each document with
  // all 2,000 ids. Fewer seats (an interrupted seed, or demo bookings cancelled) re-import: the ids
  // that exist are skipped and the rest complete the seed.
  if (existing && event.bookedCount >= DEMO_BOOKING_COUNT) return;
  const [standard, vip, crew] = event.ticketTypes.map((type) => type.id);
  const typeOf = (index: number) => (index % 10 === 9 ? crew! : index % 8 === 7 ? vip! : standard!);
  const base = Date.now() - DEMO_BOOKING_COUNT * 1000;
  const rows = Array.from({ length: DEMO_BOOKING_COUNT }, (_, index) =>
    demoBooking(DEMO_EVENT_ID, index, typeOf(index), new Date(base + index * 1000).toISOString()),
  );
  const added = await ctx.store.bookings.importMany(DEMO_EVENT_ID, rows);
  if (added > 0) {
    log(`[seed] demo event "${event.title}" with ${added} new bookings in ${Date.now() - started} ms`);
  }
}
