import { foldForSearch } from '@gatehouse/protocol';
import type Database from 'better-sqlite3';
import { importMatch, importRefusals, importUpdate, IMPORT_STATUSES } from '../imports';
import { storeErrors } from '../errors';
import type { ImportChunk, ImportRowInput, ImportRowOutcome } from '../port';
import type { BookingRow } from '../rows';
import { changeOf } from '../wire';
import { bookingTermsOf, searchTermsColumn, toBookingRow, type BookingRecord, type SqliteBookings } from './bookings';
import type { ChangeLog } from './changes';
import type { SqliteDatabase } from './database';
import { requireLiveEvent, type SqliteEvents } from './events';

const COLUMNS =
  'id, event_id, user_id, ticket_type_id, quantity, attendee_name, attendee_email, status, source, over_capacity, ' +
  'code, created_at, cancelled_at, erased_at, rev, photo_id, external_id, ordered_at';

/**
 * A CSV import's chunk in one transaction (port.ts `importRows`): matching by the
 * `bookings_external_id` and `bookings_by_email` indexes (migration 010), seats counted in
 * memory from the event row this transaction read — exact, since every booking write holds the
 * same lock — and the event written once per chunk, not once per row.
 */
export class SqliteBookingImports {
  private readonly byExternalId: Database.Statement<[string, string], BookingRecord>;
  private readonly byEmail: Database.Statement<[string, string], BookingRecord>;
  private readonly updateRow: Database.Statement<{
    id: string;
    ticket_type_id: string;
    attendee_name: string;
    attendee_email: string | null;
    external_id: string | null;
    ordered_at: string | null;
    search_terms: string;
    rev: number;
  }>;
  private readonly addWord: Database.Statement<[string, string, string]>;
  private readonly removeWord: Database.Statement<[string, string, string]>;

  constructor(
    private readonly database: SqliteDatabase,
    private readonly changes: ChangeLog,
    private readonly bookings: SqliteBookings,
    private readonly events: SqliteEvents,
  ) {
    const { db } = database;
    this.byExternalId = db.prepare(`SELECT ${COLUMNS} FROM bookings WHERE event_id = ? AND external_id = ?`);
    this.byEmail = db.prepare(
      `SELECT ${COLUMNS} FROM bookings WHERE event_id = ? AND attendee_email = ? AND external_id IS NULL`,
    );
    this.updateRow = db.prepare(
      `UPDATE bookings SET ticket_type_id = @ticket_type_id, attendee_name = @attendee_name,
         attendee_email = @attendee_email, external_id = @external_id, ordered_at = @ordered_at, search_terms = @search_terms, rev = @rev
       WHERE id = @id`,
    );
    this.addWord = db.prepare('INSERT OR IGNORE INTO booking_words (event_id, term, booking_id) VALUES (?, ?, ?)');
    this.removeWord = db.prepare('DELETE FROM booking_words WHERE event_id = ? AND term = ? AND booking_id = ?');
  }

  run(chunk: ImportChunk): ImportRowOutcome[] {
    const event = requireLiveEvent(this.events, chunk.eventId);
    if (!IMPORT_STATUSES.includes(event.status)) throw storeErrors.notBookable(event.status);
    const types = new Set(event.ticketTypes.map((type) => type.id));
    for (const row of chunk.rows) {
      if (!types.has(row.ticketTypeId)) throw storeErrors.unknownTicketType(row.ticketTypeId);
    }
    const counts = { booked: event.bookedCount, byType: { ...event.typeSold } };
    const refusals = importRefusals(event);
    const outcomes: ImportRowOutcome[] = [];
    for (const input of chunk.rows) {
      const existing = this.match(chunk.eventId, input);
      if (existing) {
        const update = importUpdate(existing, input);
        if (update.kind !== 'write') {
          outcomes.push(update.outcome);
          continue;
        }
        if (update.row.ticketTypeId !== existing.ticketTypeId) {
          const refused = refusals.typeChange(input, counts);
          if (refused) {
            outcomes.push(refused);
            continue;
          }
          counts.byType[existing.ticketTypeId] = (counts.byType[existing.ticketTypeId] ?? 0) - existing.quantity;
          counts.byType[update.row.ticketTypeId] = (counts.byType[update.row.ticketTypeId] ?? 0) + existing.quantity;
        }
        this.write(existing, update.row);
        outcomes.push({ line: input.line, kind: 'updated', bookingId: existing.id });
        continue;
      }
      const refused = refusals.newSeat(input, counts);
      if (refused) {
        outcomes.push(refused);
        continue;
      }
      const row: BookingRow = {
        id: input.id,
        rev: 1,
        eventId: chunk.eventId,
        userId: chunk.userId,
        ticketTypeId: input.ticketTypeId,
        quantity: 1,
        attendee: input.attendee,
        status: 'confirmed',
        source: 'import',
        overCapacity: false,
        code: this.bookings.freeCode(chunk.eventId, chunk.codes),
        createdAt: chunk.createdAt,
        cancelledAt: null,
        erasedAt: null,
        ...(input.externalId !== null ? { externalId: input.externalId } : {}),
        ...(input.orderedAt !== null ? { orderedAt: input.orderedAt } : {}),
      };
      this.bookings.insert(row);
      counts.booked += 1;
      counts.byType[row.ticketTypeId] = (counts.byType[row.ticketTypeId] ?? 0) + 1;
      outcomes.push({ line: input.line, kind: 'created', bookingId: row.id });
    }
    if (counts.booked !== event.bookedCount || outcomes.some((outcome) => outcome.kind === 'updated')) {
      const typeSold: Record<string, number> = {};
      for (const [typeId, sold] of Object.entries(counts.byType)) if (sold !== 0) typeSold[typeId] = sold;
      if (counts.booked !== event.bookedCount || JSON.stringify(typeSold) !== JSON.stringify(event.typeSold)) {
        this.events.write({ ...event, bookedCount: counts.booked, typeSold, rev: event.rev + 1 });
      }
    }
    return outcomes;
  }

  private match(eventId: string, input: ImportRowInput): BookingRow | null {
    if (input.externalId !== null) {
      const found = this.byExternalId.get(eventId, input.externalId);
      if (found) return toBookingRow(found);
    }
    if (!input.attendee.email) return null;
    const name = foldForSearch(input.attendee.name);
    return importMatch(this.byEmail.all(eventId, input.attendee.email).map(toBookingRow), name);
  }

  private write(before: BookingRow, after: BookingRow): void {
    const oldTerms = bookingTermsOf(before.attendee, before.code);
    const newTerms = bookingTermsOf(after.attendee, after.code);
    this.updateRow.run({
      id: after.id,
      ticket_type_id: after.ticketTypeId,
      attendee_name: after.attendee.name,
      attendee_email: after.attendee.email ?? null,
      external_id: after.externalId ?? null,
      ordered_at: after.orderedAt ?? null,
      search_terms: searchTermsColumn(newTerms),
      rev: after.rev,
    });
    const keep = new Set(newTerms);
    for (const term of oldTerms) if (!keep.has(term)) this.removeWord.run(after.eventId, term, after.id);
    for (const term of newTerms) this.addWord.run(after.eventId, term, after.id);
    this.changes.append(changeOf.booking(after));
  }

  importRows(chunk: ImportChunk): Promise<ImportRowOutcome[]> {
    return this.database.write(() => this.run(chunk));
  }
}
