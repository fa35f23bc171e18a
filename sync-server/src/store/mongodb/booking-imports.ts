import { foldForSearch, GatehouseError } from '@gatehouse/protocol';
import type { Collection, UpdateFilter } from 'mongodb';
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
import { scopeKeyOfType, scopesOf, SlotHints, type SeatLedger } from './seats';

/**
 * A CSV import's chunk on MongoDB (port.ts `importRows`), row by row: there are no multi-document
 * transactions, so each row is its own atomic step and its outcome is reported; a re-run finds
 * what an interrupted one wrote by the same matching. A new booking goes through `book` with
 * limits enforced — the seat ledger judges capacity and quota exactly as for an online booking,
 * across server processes. A ticket type change holds a seat of the new type before the booking
 * is rewritten and gives the old type's seat back after. Matching reads `{eventId, externalId}`
 * and `{eventId, attendee.email}` (indexes.ts) once for the chunk's rows (KnownBookings). The
 * event's seat counts are recounted once after the chunk, not after each booking.
 * A row that matches nothing claims its key first (import-claims.ts), so two imports running at
 * once agree on one booking per external id (or email and name) instead of each creating one.
 */
/** Rounds a row may go when other writers keep changing the booking it matched (see `one`). */
const STALE_ROW_ATTEMPTS = 5;

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
  /** What the chunk learnt of its scopes' taken slots, so a nearly full event is not read for every row (SlotHints). */
  private readonly slots = new SlotHints();

  async run(chunk: ImportChunk): Promise<ImportRowOutcome[]> {
    const event = await this.events.liveDoc(chunk.eventId);
    if (!event) throw storeErrors.eventNotFound();
    if (!IMPORT_STATUSES.includes(event.status)) throw storeErrors.notBookable(event.status);
    const types = new Set(event.ticketTypes.map((type) => type.id));
    for (const row of chunk.rows) {
      if (!types.has(row.ticketTypeId)) throw storeErrors.unknownTicketType(row.ticketTypeId);
    }
    const known = await KnownBookings.read(this.bookings.bookings, chunk.eventId, chunk.rows);
    const outcomes: ImportRowOutcome[] = [];
    try {
      for (const input of chunk.rows) outcomes.push(await this.one(chunk, input, known));
    } finally {
      // Once for the chunk, whatever its rows did (a row that threw may have written). Each booking's
      // mark (`owe`) is written before it, so a crash leaves the recount to the repair.
      await this.recounts.schedule(chunk.eventId);
    }
    return outcomes;
  }

  /**
   * A row: matched from what the chunk knows, updated only if the booking is still the version it
   * matched (its `rev`). Another writer's change in between (an import giving it an external id, a
   * cancel, an erasure, an edit) sends the row round again on the booking as it now is; after
   * STALE_ROW_ATTEMPTS such rounds the chunk answers SERVICE_UNAVAILABLE (a re-run is idempotent).
   */
  private async one(
    chunk: ImportChunk,
    input: ImportRowInput,
    known: KnownBookings,
    attempt = 0,
  ): Promise<ImportRowOutcome> {
    const write = async (booking: BookingRow): Promise<ImportRowOutcome> => {
      const outcome = await this.update(booking, input, known);
      if (outcome !== 'stale') return outcome;
      if (attempt + 1 >= STALE_ROW_ATTEMPTS) throw storeErrors.unavailable();
      const fresh = await this.bookings.bookings.findOne({ _id: booking.id }, { projection: { scans: 0 } });
      if (fresh) known.remember(toBookingRow(fresh));
      return this.one(chunk, input, known, attempt + 1);
    };
    const existing = known.match(input);
    if (existing && (input.externalId === null || existing.externalId === input.externalId)) {
      return write(existing);
    }
    // No booking yet (or one matched by email that would take the row's external id): the key's
    // claim decides which booking the row is, whatever other imports of it do meanwhile.
    const claim = await this.claims.claim(chunk.eventId, input, existing?.id ?? input.id);
    if (claim.booking) return write(claim.booking);
    if (existing && claim.bookingId === existing.id) return write(existing);
    try {
      const { row, replayed } = await this.bookings.book(
        {
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
        },
        { recount: 'by-caller', slots: this.slots, soldOut: 'unexplained' },
      );
      // Written by the import that claimed it first: this row matches it as a re-import would.
      if (replayed) return write(row);
      known.remember(row);
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

  /** The row written onto `existing`, or `stale` when the booking is no longer that version (nothing written). */
  private async update(
    existing: BookingRow,
    input: ImportRowInput,
    known: KnownBookings,
  ): Promise<ImportRowOutcome | 'stale'> {
    const update = importUpdate(existing, input);
    if (update.kind !== 'write') return update.outcome;
    const next = update.row;
    const typeChanged = next.ticketTypeId !== existing.ticketTypeId;
    let held: string[] = [];
    if (typeChanged) {
      const event = await this.events.liveDoc(existing.eventId);
      if (!event) throw storeErrors.eventNotFound();
      await this.recounts.owe(existing.eventId);
      const outcome = await this.seats.hold(
        existing.eventId,
        existing.id,
        existing.quantity,
        [scopesOf(event, next.ticketTypeId)[0]!],
        this.slots,
      );
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
      fieldsEqual<BookingDoc>({ status: 'confirmed', rev: existing.rev }),
    );
    if (!written) {
      await this.seats.release(held);
      return 'stale';
    }
    if (typeChanged) {
      await this.seats.confirm(held);
      await this.seats.releaseScope(existing.id, scopeKeyOfType(existing.ticketTypeId));
    }
    known.remember(toBookingRow(written));
    return { line: input.line, kind: 'updated', bookingId: existing.id };
  }
}

/**
 * The bookings a chunk's rows can match, read before its first row: those with one of the rows'
 * external ids, and those with one of their emails — two queries for the chunk, where a query per
 * row took ~170 ms a row on FerretDB (each a scan of the whole collection: 150 rows in 48 s,
 * 600 in over 290 s). Kept in step with the chunk's own writes (`remember`). Other writers' changes
 * are caught when a row is written, not when it is matched: an update holds only on the `rev` it
 * matched (`one`), and a new booking's key is claimed first (import-claims.ts).
 */
class KnownBookings {
  private readonly byExternalId = new Map<string, BookingRow>();
  private readonly byEmail = new Map<string, Map<string, BookingRow>>();
  private readonly byId = new Map<string, BookingRow>();

  static async read(bookings: Collection<BookingDoc>, eventId: string, rows: readonly ImportRowInput[]) {
    const known = new KnownBookings();
    const externalIds = [...new Set(rows.flatMap((row) => (row.externalId === null ? [] : [row.externalId])))];
    const emails = [...new Set(rows.flatMap((row) => (row.attendee.email ? [row.attendee.email] : [])))];
    const [byExternalId, byEmail] = await Promise.all([
      externalIds.length === 0
        ? []
        : bookings.find({ eventId, externalId: { $in: externalIds } }, { projection: { scans: 0 } }).toArray(),
      emails.length === 0
        ? []
        : bookings.find({ eventId, 'attendee.email': { $in: emails } }, { projection: { scans: 0 } }).toArray(),
    ]);
    for (const doc of [...byExternalId, ...byEmail]) known.remember(toBookingRow(doc));
    return known;
  }

  /** The booking with the row's external id, else one without an external id, of its email and name (importMatch). */
  match(input: ImportRowInput): BookingRow | null {
    if (input.externalId !== null) {
      const found = this.byExternalId.get(input.externalId);
      if (found) return found;
    }
    if (!input.attendee.email) return null;
    const candidates = [...(this.byEmail.get(input.attendee.email)?.values() ?? [])].filter(
      (row) => typeof row.externalId !== 'string',
    );
    return importMatch(candidates, foldForSearch(input.attendee.name));
  }

  /** A booking as it now is (read, created or rewritten by this chunk), in place of what was known of it. */
  remember(row: BookingRow): void {
    const before = this.byId.get(row.id);
    if (before?.externalId && before.externalId !== row.externalId) this.byExternalId.delete(before.externalId);
    if (before?.attendee.email && before.attendee.email !== row.attendee.email) {
      this.byEmail.get(before.attendee.email)?.delete(row.id);
    }
    this.byId.set(row.id, row);
    if (row.externalId) this.byExternalId.set(row.externalId, row);
    if (row.attendee.email) {
      const sameEmail = this.byEmail.get(row.attendee.email) ?? new Map<string, BookingRow>();
      sameEmail.set(row.id, row);
      this.byEmail.set(row.attendee.email, sameEmail);
    }
  }
}
