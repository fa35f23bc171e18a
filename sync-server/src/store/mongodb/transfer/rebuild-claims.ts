import { writeErrorsOf } from '../batching';
import { COLLECTIONS } from '../documents';
import { bookingMatchKey, importClaimId } from '../import-claims';
import type { Doc } from './specs';
import { chunks, INSERT_CHUNK, insertAll, type TransferTarget } from './writes';

/**
 * Import claims (import-claims.ts) for the bookings an import would match: every booking with an
 * external id, and of the bookings without one, per event, email and folded name the one the
 * matcher picks (a confirmed one first), each as the first generation of its key. Claims that
 * are there already are left as they are (a later generation may name a newer booking).
 */
export async function rebuildImportClaims(target: TransferTarget): Promise<{ claims: number; written: number }> {
  const wanted = new Map<string, Doc & { confirmed: boolean }>();
  for await (const doc of target
    .collection(COLLECTIONS.bookings)
    .find({}, { projection: { eventId: 1, externalId: 1, attendee: 1, status: 1 } })) {
    const key = bookingMatchKey({
      externalId: doc.externalId as string | null | undefined,
      attendee: doc.attendee as { name: string; email?: string },
    });
    if (key === null) continue;
    const _id = importClaimId(doc.eventId as string, key, 0);
    const confirmed = doc.status === 'confirmed';
    const before = wanted.get(_id);
    if (before && (before.confirmed || !confirmed)) continue;
    wanted.set(_id, { _id, eventId: doc.eventId as string, bookingId: doc._id, at: new Date(), confirmed });
  }
  const claims = target.collection(COLLECTIONS.importClaims);
  const present = new Set<string>();
  for (const ids of chunks([...wanted.keys()], INSERT_CHUNK)) {
    for (const doc of await claims.find({ _id: { $in: ids } }, { projection: { _id: 1 } }).toArray()) {
      present.add(doc._id);
    }
  }
  const fresh = [...wanted.values()]
    .filter((doc) => !present.has(doc._id))
    .map(({ confirmed: _confirmed, ...doc }) => doc);
  await insertAll(claims, fresh);
  return { claims: wanted.size, written: fresh.length };
}

/** The unique claim of each rotated token (where rotation claims are inserts, sessions.ts). */
export async function rebuildRotations(target: TransferTarget): Promise<{ rotated: number; written: number }> {
  const rotations = target.collection(COLLECTIONS.refreshTokenRotations);
  const wanted: Doc[] = [];
  for await (const doc of target
    .collection(COLLECTIONS.refreshTokens)
    .find({ rotatedAt: { $ne: null } }, { projection: { familyId: 1, rotatedAt: 1 } })) {
    if (doc.rotatedAt instanceof Date) wanted.push({ _id: doc._id, familyId: doc.familyId, at: doc.rotatedAt });
  }
  let written = 0;
  for (const chunk of chunks(wanted, INSERT_CHUNK)) {
    try {
      written += (await rotations.insertMany(chunk, { ordered: false })).insertedCount;
    } catch (error) {
      const failures = writeErrorsOf(error);
      if (!failures || failures.some((failure) => failure.code !== 11000)) throw error;
      written += chunk.length - failures.length;
    }
  }
  return { rotated: wanted.length, written };
}
