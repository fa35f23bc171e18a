import stringify from 'safe-stable-stringify';
import type { AnyBulkWriteOperation } from 'mongodb';
import type { ScanFact } from '../../port';
import { COLLECTIONS } from '../documents';
import type { Doc } from './specs';
import { bulk, chunks, INSERT_CHUNK, insertAll, type TransferTarget } from './writes';

/**
 * A booking's scans in arrival order (receipt time, then HLC and id): slot documents
 * `<bookingId>#0…` where updates are not isolated (scan-slots.ts reads them gap-free from #0),
 * the `scans` array on the booking where they are (checkins.ts pushes onto it).
 */
export async function rebuildScans(target: TransferTarget): Promise<{
  bookings: number;
  scans: number;
  where: string;
  written: number;
  removed: number;
}> {
  const byBooking = new Map<string, Array<ScanFact & { receivedAt: string }>>();
  for await (const doc of target
    .collection(COLLECTIONS.checkins)
    .find({}, { projection: { bookingId: 1, direction: 1, voids: 1, hlc: 1, gate: 1, receivedAt: 1 } })) {
    const list = byBooking.get(doc.bookingId as string) ?? [];
    list.push({
      checkinId: doc._id as string,
      direction: doc.direction as ScanFact['direction'],
      hlc: doc.hlc as string,
      gate: doc.gate as string,
      ...(typeof doc.voids === 'string' ? { voids: doc.voids } : {}),
      receivedAt: doc.receivedAt as string,
    });
    byBooking.set(doc.bookingId as string, list);
  }
  const ordered = new Map<string, ScanFact[]>();
  let scans = 0;
  for (const [bookingId, list] of byBooking) {
    list.sort((a, b) =>
      a.receivedAt !== b.receivedAt
        ? a.receivedAt < b.receivedAt
          ? -1
          : 1
        : a.hlc !== b.hlc
          ? a.hlc < b.hlc
            ? -1
            : 1
          : a.checkinId < b.checkinId
            ? -1
            : 1,
    );
    ordered.set(
      bookingId,
      list.map(({ receivedAt: _receivedAt, ...fact }) => fact),
    );
    scans += list.length;
  }
  if (target.capabilities.isolatedUpdates) {
    const bookings = target.collection(COLLECTIONS.bookings);
    const updates: AnyBulkWriteOperation<Doc>[] = [];
    for (const ids of chunks([...ordered.keys()], INSERT_CHUNK)) {
      for (const doc of await bookings.find({ _id: { $in: ids } }, { projection: { scans: 1 } }).toArray()) {
        const want = ordered.get(doc._id as string)!;
        if (stringify(doc.scans ?? null) !== stringify(want)) {
          updates.push({ updateOne: { filter: { _id: doc._id }, update: { $set: { scans: want } } } });
        }
      }
    }
    await bulk(target, bookings, updates);
    return { bookings: ordered.size, scans, where: 'booking.scans', written: updates.length, removed: 0 };
  }
  const wanted = new Map<string, Doc>();
  for (const [bookingId, facts] of ordered) {
    facts.forEach((fact, index) => {
      const _id = `${bookingId}#${index}`;
      wanted.set(_id, { _id, bookingId, ...fact });
    });
  }
  const slots = target.collection(COLLECTIONS.checkinSlots);
  const replace: AnyBulkWriteOperation<Doc>[] = [];
  const present = new Set<string>();
  for await (const doc of slots.find({})) {
    const want = wanted.get(doc._id as string);
    if (!want) {
      replace.push({ deleteOne: { filter: { _id: doc._id } } });
      continue;
    }
    present.add(want._id as string);
    if (
      doc.bookingId !== want.bookingId ||
      doc.checkinId !== want.checkinId ||
      doc.direction !== want.direction ||
      doc.hlc !== want.hlc ||
      doc.gate !== want.gate ||
      doc.voids !== want.voids
    ) {
      const { _id, ...fields } = want;
      replace.push({ replaceOne: { filter: { _id }, replacement: fields } });
    }
  }
  const fresh = [...wanted.values()].filter((doc) => !present.has(doc._id as string));
  await bulk(target, slots, replace);
  await insertAll(slots, fresh);
  return {
    bookings: ordered.size,
    scans,
    where: 'checkinSlots',
    written: fresh.length + replace.filter((op) => 'replaceOne' in op).length,
    removed: replace.filter((op) => 'deleteOne' in op).length,
  };
}
