import { randomBytes } from 'node:crypto';
import { eventBucket, type Event } from '@gatehouse/protocol';
import { newBookingCode, searchTermsOf, toBooking, type BookingRow } from '../bookings/rows';
import type { AppContext } from '../context';
import { isDuplicateKeyError } from '../db/mongo';
import type { ChangeDoc } from '../sync/changelog';

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

function demoBooking(eventId: string, index: number, ticketTypeId: string, createdAt: string): BookingRow {
  const name = `${FIRST[index % FIRST.length]} ${LAST[Math.floor(index / FIRST.length) % LAST.length]} ${index + 1}`;
  const attendee = { name, email: `guest${String(index + 1).padStart(4, '0')}@example.org` };
  const code = newBookingCode(randomBytes(8));
  return {
    _id: `demo-booking-${String(index + 1).padStart(4, '0')}`,
    rev: 1,
    eventId,
    // An imported guest list: guests without accounts of their own.
    userId: `demo-guest-${index + 1}`,
    ticketTypeId,
    quantity: 1,
    attendee,
    status: 'confirmed',
    source: 'online',
    overCapacity: false,
    code,
    createdAt,
    cancelledAt: null,
    searchTerms: searchTermsOf(attendee, code),
    // No confirmation mails for 2,000 invented guests.
    mailPending: [],
  };
}

/**
 * A published demo event of the demo organizer, a few hours ahead, with the demo staff assigned and
 * 2,000 bookings. Bookings are written in bulk: one insertMany for rows, one for their seats, and
 * one block of change-log seqs taken with a single `$inc` and filled with one insertMany — safe
 * because nothing else writes to this brand-new bucket during start-up. Idempotent: a finished
 * seed is detected and skipped; an interrupted one is completed.
 */
export async function seedDemoEvent(
  ctx: AppContext,
  accounts: { organizerEmail: string; staffEmail: string },
  log: (line: string) => void,
): Promise<void> {
  const organizer = await ctx.users.findByEmail(accounts.organizerEmail);
  const staff = await ctx.users.findByEmail(accounts.staffEmail);
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
        ticketTypes: [
          { name: 'Standard', price: 3500, quota: 2000 },
          { name: 'VIP', price: 12000, quota: 300 },
          { name: 'Crew', price: 0, quota: 200 },
        ],
      },
      { id: DEMO_EVENT_ID },
    );
    event = await ctx.events.setStaff(organizer, DEMO_EVENT_ID, [staff._id]);
  }

  const bookings = ctx.bookings.bookings;
  const present = new Set(
    (await bookings.find({ eventId: DEMO_EVENT_ID }, { projection: { _id: 1 } }).toArray()).map((row) => row._id),
  );
  if (present.size >= DEMO_BOOKING_COUNT) return;
  const [standard, vip, crew] = event.ticketTypes.map((type) => type.id);
  const typeOf = (index: number) => (index % 10 === 9 ? crew! : index % 8 === 7 ? vip! : standard!);
  const base = Date.now() - DEMO_BOOKING_COUNT * 1000;
  const rows: BookingRow[] = [];
  for (let index = 0; index < DEMO_BOOKING_COUNT; index++) {
    const row = demoBooking(DEMO_EVENT_ID, index, typeOf(index), new Date(base + index * 1000).toISOString());
    if (!present.has(row._id)) rows.push(row);
  }
  // Seats first: a booking never exists without the seat it holds. Slots per scope follow the index.
  const slotOf = new Map<string, number>();
  const seats = rows.map((row, i) => {
    const typeSlot = slotOf.get(row.ticketTypeId) ?? present.size;
    slotOf.set(row.ticketTypeId, typeSlot + 1);
    return [
      {
        _id: `${DEMO_EVENT_ID}:all:${present.size + i}`,
        eventId: DEMO_EVENT_ID,
        scope: 'all',
        slot: present.size + i,
        bookingId: row._id,
      },
      {
        _id: `${DEMO_EVENT_ID}:type-${row.ticketTypeId}:${typeSlot}`,
        eventId: DEMO_EVENT_ID,
        scope: `type-${row.ticketTypeId}`,
        slot: typeSlot,
        bookingId: row._id,
      },
    ];
  });
  await ctx.bookings.seats.seats.insertMany(seats.flat(), { ordered: false }).catch((error: unknown) => {
    // An interrupted earlier seed left some of these seats.
    if (!isDuplicateKeyError(error)) throw error;
  });
  await bookings.insertMany(rows, { ordered: false });

  const bucket = eventBucket(DEMO_EVENT_ID);
  const counter = await ctx.changeLog.counters.findOneAndUpdate(
    { _id: bucket },
    { $inc: { seq: rows.length } },
    { upsert: true, returnDocument: 'after' },
  );
  const last = counter!.seq;
  const first = last - rows.length + 1;
  const changes: ChangeDoc[] = rows.map((row, i) => ({
    _id: `${bucket}:${first + i}`,
    bucket,
    seq: first + i,
    type: 'booking',
    id: row._id,
    rev: row.rev,
    doc: toBooking(row),
    at: new Date(),
  }));
  await ctx.changeLog.changes.insertMany(changes, { ordered: true });
  await ctx.changeLog.counters.updateOne(
    { _id: bucket },
    { $max: { committedSeq: last }, $set: { updatedAt: new Date() } },
  );
  ctx.changeLog.events.emit('committed', { bucket, seq: last });
  ctx.events.scheduleRecount(DEMO_EVENT_ID);
  await ctx.events.countsSettled(DEMO_EVENT_ID);
  log(`[seed] demo event "${event.title}" with ${rows.length} new bookings in ${Date.now() - started} ms`);
}
