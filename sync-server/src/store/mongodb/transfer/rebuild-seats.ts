import stringify from 'safe-stable-stringify';
import type { AnyBulkWriteOperation } from 'mongodb';
import { COLLECTIONS } from '../documents';
import { scopeKeyOfType } from '../seats';
import type { Doc } from './specs';
import { bulk, insertAll, type TransferTarget } from './writes';

/**
 * Seats as seats.ts keeps them: per event and scope (`all`, `type-<id>`), each seat a confirmed
 * booking holds is a slot document `<event>:<scope>:<slot>`, numbered 0… in booking order. Every
 * confirmed booking holds its seats, walk-ins accepted over capacity too (the source counted
 * them), so the free slots below a limit are exactly the seats the source had left. The peak
 * of a scope is its limit, or the slots in use where those exceed it: then the scope is checked
 * by counting its holders (SeatLedger), and no new online booking gets in until enough leave.
 */
export async function rebuildSeats(target: TransferTarget): Promise<{
  events: number;
  slots: number;
  written: number;
  removed: number;
  peaks: number;
}> {
  const bookingsByEvent = new Map<
    string,
    Array<{ id: string; ticketTypeId: string; quantity: number; createdAt: string }>
  >();
  for await (const doc of target
    .collection(COLLECTIONS.bookings)
    .find({ status: 'confirmed' }, { projection: { eventId: 1, ticketTypeId: 1, quantity: 1, createdAt: 1 } })) {
    const list = bookingsByEvent.get(doc.eventId as string) ?? [];
    list.push({
      id: doc._id as string,
      ticketTypeId: doc.ticketTypeId as string,
      quantity: doc.quantity as number,
      createdAt: doc.createdAt as string,
    });
    bookingsByEvent.set(doc.eventId as string, list);
  }
  const wanted = new Map<string, Doc>();
  const peaksByEvent = new Map<string, Record<string, number>>();
  const events = new Map<string, Doc>();
  for await (const doc of target
    .collection(COLLECTIONS.events)
    .find({}, { projection: { capacity: 1, ticketTypes: 1, seatPeaks: 1 } })) {
    events.set(doc._id as string, doc);
  }
  for (const [eventId, event] of events) {
    const bookings = (bookingsByEvent.get(eventId) ?? []).sort((a, b) =>
      a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
    );
    const used = new Map<string, number>();
    for (const booking of bookings) {
      for (const scope of [scopeKeyOfType(booking.ticketTypeId), 'all']) {
        for (let seat = 0; seat < booking.quantity; seat++) {
          const slot = used.get(scope) ?? 0;
          used.set(scope, slot + 1);
          const _id = `${eventId}:${scope}:${slot}`;
          wanted.set(_id, { _id, eventId, scope, slot, bookingId: booking.id });
        }
      }
    }
    const peaks: Record<string, number> = { all: Math.max(event.capacity as number, used.get('all') ?? 0) };
    for (const type of event.ticketTypes as Array<{ id: string; quota: number }>) {
      const key = scopeKeyOfType(type.id);
      peaks[key] = Math.max(type.quota, used.get(key) ?? 0);
    }
    peaksByEvent.set(eventId, peaks);
  }
  const seats = target.collection(COLLECTIONS.seats);
  // Only the difference is written: a slot that is right stays, one held otherwise (another
  // booking, or still under the repair's watch) is replaced, one no booking wants is removed.
  const changes: AnyBulkWriteOperation<Doc>[] = [];
  const seen = new Set<string>();
  for await (const doc of seats.find({})) {
    const want = wanted.get(doc._id as string);
    if (!want) {
      changes.push({ deleteOne: { filter: { _id: doc._id } } });
      continue;
    }
    seen.add(want._id as string);
    if (want.bookingId !== doc.bookingId || want.eventId !== doc.eventId || doc.heldSince !== undefined) {
      const { _id, ...fields } = want;
      changes.push({ replaceOne: { filter: { _id }, replacement: fields } });
    }
  }
  const fresh = [...wanted.values()].filter((doc) => !seen.has(doc._id as string));
  await bulk(target, seats, changes);
  await insertAll(seats, fresh);

  const peakUpdates: AnyBulkWriteOperation<Doc>[] = [];
  for (const [eventId, peaks] of peaksByEvent) {
    if (stringify(events.get(eventId)?.seatPeaks ?? null) === stringify(peaks)) continue;
    peakUpdates.push({ updateOne: { filter: { _id: eventId }, update: { $set: { seatPeaks: peaks } } } });
  }
  await bulk(target, target.collection(COLLECTIONS.events), peakUpdates);
  return {
    events: events.size,
    slots: wanted.size,
    written: fresh.length + changes.filter((op) => 'replaceOne' in op).length,
    removed: changes.filter((op) => 'deleteOne' in op).length,
    peaks: peakUpdates.length,
  };
}
