import { SEARCH_FOLDING_VERSION } from '@gatehouse/protocol';
import type { AnyBulkWriteOperation, Db } from 'mongodb';
import { searchTermsOf } from '../search-words';
import { bulkEach } from './batching';
import type { MongoCapabilities } from './capabilities';
import { COLLECTIONS, type BookingDoc } from './documents';

/** A finished data upgrade: `_id` names it, `version` is how far it got. */
type UpgradeDoc = { _id: string; version: number; at: Date };

const SEARCH_FOLDING = 'searchFolding';

/**
 * Brings the bookings' `searchTerms` to the current search folding (protocol SEARCH_FOLDING_VERSION;
 * version 1 only lower-cased, so "soren" did not find "Søren"). Runs when the store opens, before
 * it serves: every booking's terms are computed again from its stored attendee and code and
 * written where they differ, then the version is recorded in `upgrades`, so later opens only read
 * that one document. Idempotent: processes that open together compute and write the same terms.
 * Returns how many bookings it rewrote.
 */
export async function upgradeSearchTerms(db: Db, capabilities: MongoCapabilities): Promise<number> {
  const upgrades = db.collection<UpgradeDoc>(COLLECTIONS.upgrades);
  const done = await upgrades.findOne({ _id: SEARCH_FOLDING });
  if (done && done.version >= SEARCH_FOLDING_VERSION) return 0;
  const bookings = db.collection<BookingDoc>(COLLECTIONS.bookings);
  const batch = Math.max(1, Math.min(500, capabilities.maxUpdatesPerCommand));
  let pending: AnyBulkWriteOperation<BookingDoc>[] = [];
  let rewritten = 0;
  const cursor = bookings.find({}, { projection: { attendee: 1, code: 1, searchTerms: 1 } });
  for await (const doc of cursor) {
    const terms = searchTermsOf(doc.attendee, doc.code);
    if (sameTerms(terms, doc.searchTerms)) continue;
    // Only the terms: the row's rev, its change log and what devices hold are untouched.
    pending.push({ updateOne: { filter: { _id: doc._id }, update: { $set: { searchTerms: terms } } } });
    if (pending.length >= batch) {
      await bulkEach(bookings, pending, batch);
      rewritten += pending.length;
      pending = [];
    }
  }
  if (pending.length > 0) await bulkEach(bookings, pending, batch);
  rewritten += pending.length;
  await upgrades.updateOne(
    { _id: SEARCH_FOLDING },
    { $set: { version: SEARCH_FOLDING_VERSION, at: new Date() } },
    { upsert: true },
  );
  return rewritten;
}

function sameTerms(a: readonly string[], b: readonly string[] | undefined): boolean {
  return b !== undefined && a.length === b.length && a.every((term, index) => term === b[index]);
}
