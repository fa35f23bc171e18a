import { foldForSearch, GatehouseError } from '@gatehouse/protocol';
import type { UpdateFilter } from 'mongodb';
import { storeErrors } from '../errors';
import { importMatch, importUpdate, IMPORT_STATUSES } from '../imports';
import type { ImportChunk, ImportRowInput, ImportRowOutcome } from '../port';
import type { BookingRow } from '../rows';
import { searchTermsOf } from '../search-words';
import type { MongoBookings } from './bookings';
import { fieldsEqual } from './conditional';
import type { StoreContext } from './context';
import { toBookingRow, type BookingDoc } from './documents';
import { ImportClaims } from './import-claims';
import type { MongoEvents } from './events';
import type { Recounts } from './recounts';
import { scopeKeyOfType, scopesOf, type SeatLedger } from './seats';

/**
 * A CSV import's chunk on MongoDB (port.ts `importRows`), row by row: there are no multi-document
 * transactions, so each row is its own atomic step and its outcome is reported; a re-run finds
 * what an interrupted one wrote by the same matching. A new booking goes through `book` with
 * limits enforced — the seat ledger judges capacity and quota exactly as for an online booking,
 * across server processes. A ticket type change holds a seat of the new type before the booking
 * is rewritten and gives the old type's seat back after. Matching reads `{eventId, externalId}`
 * and `{eventId, attendee.email}` (indexes.ts); FerretDB scans for them, as for any such filter.
 * A row that matches nothing claims its key first (import-claims.ts), so two imports running at
 * once agree on one booking per external id (or email and name) instead of each creating one.
 */
export class MongoBookingImports {
  constructor(
    private readonly context: StoreContext,
    private readonly bookings: MongoBookings,
    private readonly events: MongoEvents,
    private readonly seats: SeatLedger,
    private readonly recounts: Recounts,
  ) {
    this.claims = new ImportClaims(context);
  }

  private readonly claims: ImportClaims;

  async run(chunk: ImportChunk): Promise<ImportRowOutcome[]> {
    const event = await this.events.liveDoc(chunk.eventId);
    if (!event) throw storeErrors.eventNotFound();
    if (!IMPORT_STATUSES.includes(event.status)) throw storeErrors.notBookable(event.status);
    const types = new Set(event.ticketTypes.map((type) => type.id));
    for (const row of chunk.rows) {
      if (!types.has(row.ticketTypeId)) throw storeErrors.unknownTicketType(row.ticketTypeId);
    }
    const outcomes: ImportRowOutcome[] = [];
    let moved = false;
    try {
      for (const input of chunk.rows) {
        const outcome = await this.one(chunk, input);
        if (outcome.kind === 'updated') moved = true;
        outcomes.push(outcome);
      }
    } finally {
      // `book` recounts after each booking; type changes are recounted here, once.
      if (moved) await this.recounts.schedule(chunk.eventId);
    }
    return outcomes;
  }

  private async one(chunk: ImportChunk, input: ImportRowInput): Promise<ImportRowOutcome> {
    const existing = await this.match(chunk.eventId, input);
    if (existing && (input.externalId === null || existing.externalId === input.externalId)) {
      return this.update(existing, input);
    }
    // No booking yet (or one matched by email that would take the row's external id): the key's
    // claim decides which booking the row is, whatever other imports of it do meanwhile.
    const claim = await this.claims.claim(chunk.eventId, input, existing?.id ?? input.id);
    if (claim.booking) return this.update(claim.booking, input);
    if (existing && claim.bookingId === existing.id) return this.update(existing, input);
    try {
      const { row, replayed } = await this.bookings.book({
        booking: {
          id: claim.bookingId,
          eventId: chunk.eventId,
          userId: chunk.userId,
          ticketTypeId: input.ticketTypeId,
          quantity: 1,
          attendee: input.attendee,
          source: 'import',
          createdAt: chunk.createdAt,
          ...(input.externalId !== null ? { externalId: input.externalId } : {}),
          ...(input.orderedAt !== null ? { orderedAt: input.orderedAt } : {}),
        },
        limits: 'enforce',
        statuses: [...IMPORT_STATUSES],
        codes: chunk.codes,
        mail: [],
      });
      // Written by the import that claimed it first: this row matches it as a re-import would.
      if (replayed) return this.update(row, input);
      return { line: input.line, kind: 'created', bookingId: row.id };
    } catch (error) {
      if (error instanceof GatehouseError && error.code === 'SOLD_OUT') {
        // The claim stays: the next import of this row creates the booking it names, if there is room then.
        return {
          line: input.line,
          kind: 'refused',
          code: 'SOLD_OUT',
          message: `The event is full or its ${input.ticketTypeId} quota is reached`,
        };
      }
      throw error;
    }
  }

  private async match(eventId: string, input: ImportRowInput): Promise<BookingRow | null> {
    const collection = this.bookings.bookings;
    if (input.externalId !== null) {
      const found = await collection.findOne({ eventId, externalId: input.externalId }, { projection: { scans: 0 } });
      if (found) return toBookingRow(found);
    }
    if (!input.attendee.email) return null;
    const docs = await collection
      .find({ eventId, 'attendee.email': input.attendee.email }, { projection: { scans: 0 } })
      .toArray();
    const candidates = docs.filter((doc) => typeof doc.externalId !== 'string').map(toBookingRow);
    return importMatch(candidates, foldForSearch(input.attendee.name));
  }

  private async update(existing: BookingRow, input: ImportRowInput): Promise<ImportRowOutcome> {
    const update = importUpdate(existing, input);
    if (update.kind !== 'write') return update.outcome;
    const next = update.row;
    const typeChanged = next.ticketTypeId !== existing.ticketTypeId;
    let held: string[] = [];
    if (typeChanged) {
      const event = await this.events.liveDoc(existing.eventId);
      if (!event) throw storeErrors.eventNotFound();
      await this.recounts.owe(existing.eventId);
      const outcome = await this.seats.hold(existing.eventId, existing.id, existing.quantity, [
        scopesOf(event, next.ticketTypeId)[0]!,
      ]);
      if (outcome.kind !== 'held') {
        return {
          line: input.line,
          kind: 'refused',
          code: 'SOLD_OUT',
          message: 'No tickets of the new type left to change this booking to',
        };
      }
      held = outcome.seatIds;
    }
    const set: Partial<BookingDoc> = {
      attendee: next.attendee,
      ticketTypeId: next.ticketTypeId,
      searchTerms: searchTermsOf(next.attendee, next.code),
      ...(next.externalId ? { externalId: next.externalId } : {}),
      ...(next.orderedAt ? { orderedAt: next.orderedAt } : {}),
    };
    const written = await this.context.changeLog.updateAndLog(
      this.bookings.target,
      existing.id,
      { $set: set } as UpdateFilter<BookingDoc>,
      fieldsEqual<BookingDoc>({ status: 'confirmed' }),
    );
    if (!written) {
      await this.seats.release(held);
      return {
        line: input.line,
        kind: 'refused',
        code: 'IMPORT_BOOKING_CANCELLED',
        message: 'The booking this row matches was cancelled meanwhile',
      };
    }
    if (typeChanged) {
      await this.seats.confirm(held);
      await this.seats.releaseScope(existing.id, scopeKeyOfType(existing.ticketTypeId));
    }
    return { line: input.line, kind: 'updated', bookingId: existing.id };
  }
}
