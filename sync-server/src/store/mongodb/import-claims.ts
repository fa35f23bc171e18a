import { createHash } from 'node:crypto';
import { foldForSearch, importMatchKey } from '@gatehouse/protocol';
import type { Collection } from 'mongodb';
import type { ImportRowInput } from '../port';
import type { BookingRow } from '../rows';
import type { StoreContext } from './context';
import { COLLECTIONS, toBookingRow, type BookingDoc } from './documents';
import { isDuplicateKeyError } from './errors';

/**
 * One import claim: the booking an import row's match key (`importMatchKey`: its external id, else
 * its email and folded name) stands for in an event. `_id` is `<eventId>:<generation>:<digest>`
 * (see `importClaimId`), so it is written and read by `_id` alone — the one filter FerretDB does
 * not answer by scanning the collection — and its uniqueness is the arbiter between imports.
 */
export type ImportClaimDoc = { _id: string; eventId: string; bookingId: string; at: Date };

/**
 * Generations of one key tried before giving up. A claim goes stale when the booking it names no
 * longer matches the key (an email-matched booking that took an external id, an erased one); the
 * next generation is then claimed. Two stale generations of one attendee are already unusual.
 */
const MAX_GENERATIONS = 16;

/**
 * The claim `_id` of a match key in an event, at a generation (0 first). The key is hashed
 * (SHA-256, base64url): a name and email can be 600 characters, and a claim need not hold them.
 */
export function importClaimId(eventId: string, matchKey: string, generation: number): string {
  return `${eventId}:${generation}:${createHash('sha256').update(matchKey).digest('base64url')}`;
}

/** The match key of a stored booking, as `importMatchKey` gives it for a row; null: an import cannot match it. */
export function bookingMatchKey(row: Pick<BookingRow, 'externalId' | 'attendee'>): string | null {
  if (typeof row.externalId === 'string') return importMatchKey({ externalId: row.externalId, email: null, name: '' });
  if (!row.attendee.email) return null;
  return importMatchKey({ externalId: null, email: row.attendee.email, name: row.attendee.name });
}

/** Whether `row` is still a booking the row's key would match (what `match` in booking-imports.ts finds). */
function stillMatches(row: BookingRow, input: ImportRowInput): boolean {
  if (input.externalId !== null) return row.externalId === input.externalId;
  return (
    (row.externalId ?? null) === null &&
    row.attendee.email === input.attendee.email &&
    foldForSearch(row.attendee.name) === foldForSearch(input.attendee.name)
  );
}

/**
 * What a claim answered: `booking` when the booking it names is written (match and update that
 * one); otherwise `bookingId` is the booking to create — the row's own when this import took the
 * claim, or the one another import claimed and has not written (yet, or ever: it crashed, or was
 * refused SOLD_OUT). Creating that booking with that id is safe either way: `book` keeps one
 * booking per id, so if its owner is still writing, one insert wins and the other replays it.
 */
export type ImportClaim = { booking: BookingRow; bookingId: string } | { booking: null; bookingId: string };

/**
 * Import claims on MongoDB (issue #20 gap 1). Without transactions two imports of one file could
 * each find no booking for a row and each create one; the claim, inserted before the booking,
 * makes the database decide: the first insert of a key's claim wins, and every other import is
 * sent to the booking that claim names. A claim is never deleted or updated (FerretDB's updates are
 * not atomic), so there is nothing to take over: a claim whose booking was never written is
 * completed by whoever finds it next, with the id it names. SQLite needs none of this: a chunk is
 * one transaction on the one process that writes the file, matching included.
 */
export class ImportClaims {
  private readonly claims: Collection<ImportClaimDoc>;
  private readonly bookings: Collection<BookingDoc>;

  constructor(context: StoreContext) {
    this.claims = context.db.collection<ImportClaimDoc>(COLLECTIONS.importClaims);
    this.bookings = context.db.collection<BookingDoc>(COLLECTIONS.bookings);
  }

  /**
   * Claims the row's key for `bookingId` (the row's new id, or a booking matched by email that
   * is to take the row's external id), or answers the claim that holds it.
   */
  async claim(eventId: string, input: ImportRowInput, bookingId: string): Promise<ImportClaim> {
    const key = importMatchKey({
      externalId: input.externalId,
      email: input.attendee.email ?? null,
      name: input.attendee.name,
    });
    let vanished = 0;
    for (let generation = 0; generation < MAX_GENERATIONS; generation++) {
      const _id = importClaimId(eventId, key, generation);
      try {
        await this.claims.insertOne({ _id, eventId, bookingId, at: new Date() });
        return { booking: null, bookingId };
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
      }
      const held = await this.claims.findOne({ _id });
      // A claim is never removed; one that is not there yet was a write not visible to this read.
      if (!held) {
        if (vanished++ < 3) generation -= 1;
        continue;
      }
      if (held.bookingId === bookingId) return { booking: null, bookingId };
      const doc = await this.bookings.findOne({ _id: held.bookingId }, { projection: { scans: 0 } });
      if (!doc) return { booking: null, bookingId: held.bookingId };
      const row = toBookingRow(doc);
      if (row.eventId === eventId && stillMatches(row, input)) return { booking: row, bookingId: row.id };
      // Stale: that booking no longer answers to this key; the next generation decides.
    }
    throw new Error(`Import claims: ${MAX_GENERATIONS} stale generations of one key in event ${eventId}`);
  }
  /**
   * Removes the claims an erasure must not leave behind: those of the booking's email and name,
   * whose `_id` is a digest of them (issue #20 part 5; an external id is the ticket shop's, not the
   * person's, and stays). Called before the booking is scrubbed, so a retry after a crash still
   * knows the key. Only the newest generation of the key is removed: an older one is stale and
   * lets the next generation decide, and freeing it could send a later import past a booking the
   * newer generation names — such a claim stays (it names a booking that no longer matches).
   */
  async forget(row: BookingRow): Promise<void> {
    if (!row.attendee.email) return;
    const key = importMatchKey({ externalId: null, email: row.attendee.email, name: row.attendee.name });
    for (let generation = 0; generation < MAX_GENERATIONS; generation++) {
      const _id = importClaimId(row.eventId, key, generation);
      const held = await this.claims.findOne({ _id });
      if (!held) return;
      if (held.bookingId !== row.id) continue;
      const newer = await this.claims.findOne({ _id: importClaimId(row.eventId, key, generation + 1) });
      if (!newer) await this.claims.deleteOne({ _id });
      return;
    }
  }
}
