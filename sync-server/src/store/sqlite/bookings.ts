import { foldForSearch, GatehouseError, truncateText } from '@gatehouse/protocol';
import type Database from 'better-sqlite3';
import { seatsLeft, storeErrors } from '../errors';
import type {
  After,
  BookInput,
  BookingForAlerts,
  BookingListFilter,
  BookingRepository,
  BookOutcome,
  NewBooking,
} from '../port';
import type { BookingRow } from '../rows';
import { changeOf } from '../wire';
import type { SqliteAlerts } from './alerts';
import type { ChangeLog } from './changes';
import type { SqliteDatabase } from './database';
import { requireLiveEvent, type SqliteEvents } from './events';
import type { Handoffs } from './handoffs';
import { bit, jsonList, pageLimit, prefixEnd } from './sql';
import {
  attendeeOf,
  bookingTermsOf,
  type BookingRecord,
  COLUMNS,
  searchTermsColumn,
  TERM_MARK,
  toBookingParams,
  toBookingRow,
} from './booking-records';
import {
  COUNT_CAP,
  drivenPlan,
  expectedWalk,
  listSql,
  type ListParams,
  type ListShape,
  walkedSql,
} from './booking-search';

// The row mapping is in booking-records.ts, listForEvent's plans in booking-search.ts; the mapping is
// re-exported so its callers import it from here, as before.
export {
  attendeeOf,
  bookingTermsOf,
  searchTermsColumn,
  toBookingParams,
  toBookingRow,
  type BookingRecord,
} from './booking-records';

const MAX_CODE_ATTEMPTS = 5;

function newRow(booking: NewBooking, code: string, overCapacity: boolean): BookingRow {
  return {
    id: booking.id,
    rev: 1,
    eventId: booking.eventId,
    userId: booking.userId,
    ticketTypeId: booking.ticketTypeId,
    quantity: booking.quantity,
    attendee: attendeeOf(booking.attendee.name, booking.attendee.email),
    status: 'confirmed',
    source: booking.source,
    overCapacity,
    code,
    createdAt: booking.createdAt,
    cancelledAt: null,
    ...(booking.externalId ? { externalId: booking.externalId } : {}),
    ...(booking.orderedAt ? { orderedAt: booking.orderedAt } : {}),
    erasedAt: null,
  };
}

function codeTaken(code: string): GatehouseError {
  return new GatehouseError('CONFLICT', `Booking code ${truncateText(code, 64)} is already used in this event`);
}

/** Bookings, their search words and the seat counts they hold in their event. */
export class SqliteBookings {
  private readonly byId: Database.Statement<[string], BookingRecord>;
  private readonly byIds: Database.Statement<[string], BookingRecord>;
  private readonly forScans: Database.Statement<
    [string],
    Pick<BookingRecord, 'id' | 'event_id' | 'status' | 'attendee_name'>
  >;
  private readonly codeExists: Database.Statement<[string, string], { found: number }>;
  private readonly byCode: Database.Statement<[string, string], BookingRecord>;
  private readonly byExternalId: Database.Statement<[string, string], BookingRecord>;
  private readonly insertRow: Database.Statement<BookingRecord>;
  private readonly insertWord: Database.Statement<[string, string, string]>;
  private readonly cancelRow: Database.Statement<[string, number, string]>;
  private readonly photoRow: Database.Statement<[string | null, number, string]>;
  private readonly wordMatches: Database.Statement<[string, string, string, number], { n: number }>;
  private readonly seatsOf: Database.Statement<[string], { booked: number }>;
  private readonly mineFirst: Database.Statement<{ userId: string; limit: number }, BookingRecord>;
  private readonly mineAfter: Database.Statement<
    { userId: string; afterValue: string; afterId: string; limit: number },
    BookingRecord
  >;
  /** listForEvent's statements, one per shape, prepared on first use. */
  private readonly lists = new Map<string, Database.Statement<ListParams, BookingRecord>>();
  private readonly walks = new Map<string, Database.Statement<ListParams, { n: number }>>();

  constructor(
    private readonly database: SqliteDatabase,
    private readonly changes: ChangeLog,
    private readonly events: SqliteEvents,
    private readonly alerts: SqliteAlerts,
    private readonly handoffs: Handoffs,
  ) {
    const { db } = database;
    this.byId = db.prepare(`SELECT ${COLUMNS} FROM bookings b WHERE b.id = ?`);
    this.byIds = db.prepare(`SELECT ${COLUMNS} FROM bookings b WHERE b.id IN (SELECT value FROM json_each(?))`);
    this.forScans = db.prepare(
      'SELECT id, event_id, status, attendee_name FROM bookings WHERE id IN (SELECT value FROM json_each(?))',
    );
    this.codeExists = db.prepare('SELECT 1 AS found FROM bookings WHERE event_id = ? AND code = ?');
    // Indexes bookings_code (migration 001) and bookings_external_id (migration 010).
    this.byCode = db.prepare(`SELECT ${COLUMNS} FROM bookings b WHERE b.event_id = ? AND b.code = ?`);
    this.byExternalId = db.prepare(`SELECT ${COLUMNS} FROM bookings b WHERE b.event_id = ? AND b.external_id = ?`);
    this.insertRow = db.prepare(
      `INSERT INTO bookings (id, event_id, user_id, ticket_type_id, quantity, attendee_name, attendee_email, status,
         source, over_capacity, code, created_at, cancelled_at, erased_at, rev, photo_id, search_terms, external_id,
         ordered_at)
       VALUES (@id, @event_id, @user_id, @ticket_type_id, @quantity, @attendee_name, @attendee_email, @status,
         @source, @over_capacity, @code, @created_at, @cancelled_at, @erased_at, @rev, @photo_id, @search_terms, @external_id,
         @ordered_at)`,
    );
    this.insertWord = db.prepare('INSERT OR IGNORE INTO booking_words (event_id, term, booking_id) VALUES (?, ?, ?)');
    this.cancelRow = db.prepare(`UPDATE bookings SET status = 'cancelled', cancelled_at = ?, rev = ? WHERE id = ?`);
    this.photoRow = db.prepare('UPDATE bookings SET photo_id = ?, rev = ? WHERE id = ?');
    this.wordMatches = db.prepare(
      `SELECT count(*) AS n FROM (
         SELECT 1 FROM booking_words WHERE event_id = ? AND term >= ? AND term < ? LIMIT ?)`,
    );
    this.seatsOf = db.prepare('SELECT booked_count AS booked FROM events WHERE id = ?');
    this.mineFirst = db.prepare(
      `SELECT ${COLUMNS} FROM bookings b WHERE b.user_id = @userId AND b.source = 'online'
       ORDER BY b.created_at DESC, b.id DESC LIMIT @limit`,
    );
    this.mineAfter = db.prepare(
      `SELECT ${COLUMNS} FROM bookings b WHERE b.user_id = @userId AND b.source = 'online'
         AND (b.created_at, b.id) < (@afterValue, @afterId)
       ORDER BY b.created_at DESC, b.id DESC LIMIT @limit`,
    );
  }

  find(id: string): BookingRow | null {
    const record = this.byId.get(id);
    return record ? toBookingRow(record) : null;
  }

  /**
   * What a push's check-ins read of their bookings — those of `ids` that exist, by id — in one
   * statement. Only these columns: a cold lookup of a 100,000-booking event's row costs a third more
   * when the whole row is read and mapped (the columns after its search terms).
   */
  findForScans(ids: readonly string[]): Map<string, BookingForAlerts> {
    const found = new Map<string, BookingForAlerts>();
    if (ids.length === 0) return found;
    for (const record of this.forScans.all(jsonList(ids))) {
      found.set(record.id, {
        id: record.id,
        eventId: record.event_id,
        status: record.status,
        attendee: { name: record.attendee_name },
      });
    }
    return found;
  }

  /** Judges capacity and quota by the event as it is in this transaction, so a lowered limit holds at once. */
  book(input: BookInput): BookOutcome {
    const booking = input.booking;
    const existing = this.find(booking.id);
    if (existing) {
      if (existing.eventId !== booking.eventId) throw storeErrors.bookingOfOtherEvent();
      return { row: existing, replayed: true };
    }
    const event = requireLiveEvent(this.events, booking.eventId);
    if (!input.statuses.includes(event.status)) throw storeErrors.notBookable(event.status);
    if (!event.ticketTypes.some((type) => type.id === booking.ticketTypeId)) {
      throw storeErrors.unknownTicketType(booking.ticketTypeId);
    }
    const left = seatsLeft(event, event.typeSold, booking.ticketTypeId);
    const overCapacity = booking.quantity > left;
    if (overCapacity && input.limits === 'enforce') throw storeErrors.soldOut(left);
    const row = newRow(booking, this.freeCode(event.id, input.codes), overCapacity);
    this.insert(row);
    this.events.addSeats(event, row.ticketTypeId, row.quantity);
    this.handoffs.add('booking', row.id, input.mail, row.rev);
    if (overCapacity && input.overCapacityAlert) this.alerts.raise(input.overCapacityAlert(row));
    return { row, replayed: false };
  }

  freeCode(eventId: string, codes: (attempt: number) => string): string {
    for (let attempt = 0; attempt < MAX_CODE_ATTEMPTS; attempt++) {
      const code = codes(attempt);
      if (!this.codeExists.get(eventId, code)) return code;
    }
    throw storeErrors.noFreeCode();
  }

  /** Inserts a new booking with its search words and logs it (the event's counts are the caller's). */
  insert(row: BookingRow): void {
    const terms = bookingTermsOf(row.attendee, row.code);
    this.insertRow.run(toBookingParams(row, searchTermsColumn(terms)));
    for (const term of terms) this.insertWord.run(row.eventId, term, row.id);
    this.changes.append(changeOf.booking(row));
  }

  cancel(id: string, at: string, mailFor: (row: BookingRow) => string[]): { row: BookingRow; changed: boolean } | null {
    const current = this.find(id);
    if (!current) return null;
    if (current.status !== 'confirmed') return { row: current, changed: false };
    const row: BookingRow = { ...current, status: 'cancelled', cancelledAt: at, rev: current.rev + 1 };
    this.cancelRow.run(at, row.rev, id);
    this.changes.append(changeOf.booking(row));
    // A deleted event's counts are read by no one; its bucket stays closed.
    const event = this.events.findLive(row.eventId);
    if (event) this.events.addSeats(event, row.ticketTypeId, -row.quantity);
    this.handoffs.add('booking', id, mailFor(row), row.rev);
    return { row, changed: true };
  }

  setPhoto(id: string, photoId: string | null): BookingRow | null {
    const current = this.find(id);
    if (!current) return null;
    if ((current.photoId ?? null) === photoId) return current;
    const { photoId: _previous, ...rest } = current;
    const row: BookingRow = { ...rest, rev: current.rev + 1, ...(photoId ? { photoId } : {}) };
    this.photoRow.run(photoId, row.rev, id);
    this.changes.append(changeOf.booking(row));
    return row;
  }

  /** Adds confirmed bookings in bulk (one transaction): ids that exist are skipped; counts move once. */
  importMany(eventId: string, rows: Array<NewBooking & { code: string }>): number {
    const event = requireLiveEvent(this.events, eventId);
    const types = new Set(event.ticketTypes.map((type) => type.id));
    const seatsByType = new Map<string, number>();
    let added = 0;
    for (const input of rows) {
      if (this.byId.get(input.id)) continue;
      if (!types.has(input.ticketTypeId)) throw storeErrors.unknownTicketType(input.ticketTypeId);
      if (this.codeExists.get(eventId, input.code)) throw codeTaken(input.code);
      const row = newRow({ ...input, eventId }, input.code, false);
      this.insert(row);
      seatsByType.set(row.ticketTypeId, (seatsByType.get(row.ticketTypeId) ?? 0) + row.quantity);
      added += 1;
    }
    if (added > 0) {
      const typeSold = { ...event.typeSold };
      let seats = 0;
      for (const [typeId, count] of seatsByType) {
        typeSold[typeId] = (typeSold[typeId] ?? 0) + count;
        seats += count;
      }
      this.events.write({ ...event, bookedCount: event.bookedCount + seats, typeSold, rev: event.rev + 1 });
    }
    return added;
  }

  listForEvent(
    eventId: string,
    filter: BookingListFilter,
    after: After<string> | undefined,
    limit: number,
  ): BookingRow[] {
    const params: ListParams = { eventId, limit: pageLimit(limit) };
    if (filter.status) params.status = filter.status;
    if (after) {
      params.afterValue = after.value;
      params.afterId = after.id;
    }
    const words = [...new Set((filter.words ?? []).map((word) => foldForSearch(word).replaceAll(TERM_MARK, '')))];
    const searched = words.filter((word) => word.length > 0);
    const shape: ListShape = {
      after: after !== undefined,
      status: filter.status !== undefined,
      words: searched.length,
      plan: 'walk',
      joined: 0,
    };
    if (searched.length === 0) return this.listStatement(shape).all(params).map(toBookingRow);

    const counts = searched.map((word) => this.wordMatches.get(eventId, word, prefixEnd(word), COUNT_CAP)!.n);
    if (counts.some((count) => count === 0)) return [];
    // The rarest word first: the one a driven plan starts from.
    const order = searched.map((_word, index) => index).sort((a, b) => counts[a]! - counts[b]!);
    order.forEach((wordIndex, position) => {
      const word = searched[wordIndex]!;
      params[`lo${position}`] = word;
      params[`hi${position}`] = prefixEnd(word);
      params[`mark${position}`] = TERM_MARK + word;
    });
    const total = Math.max(this.seatsOf.get(eventId)?.booked ?? 0, ...counts);
    const budget = Math.ceil(Math.min(Math.max(4 * expectedWalk(counts, total, pageLimit(limit)), 500), 10_000));
    // A driven row costs about twice a walked one (a primary-key lookup, then its part of the sort).
    const driven = drivenPlan(
      order.map((wordIndex) => counts[wordIndex]!),
      total,
    );
    if (driven.cost > budget) {
      params.budget = budget;
      const walked = this.listStatement(shape).all(params);
      if (walked.length >= pageLimit(limit) || this.walkedStatement(shape).get(params)!.n < budget) {
        return walked.map(toBookingRow);
      }
    }
    return this.listStatement({ ...shape, plan: 'driven', joined: driven.joined })
      .all(params)
      .map(toBookingRow);
  }

  private walkedStatement(shape: ListShape): Database.Statement<ListParams, { n: number }> {
    const key = `${bit(shape.after)}${bit(shape.status)}`;
    let statement = this.walks.get(key);
    if (!statement) {
      statement = this.database.db.prepare<ListParams, { n: number }>(walkedSql(shape));
      this.walks.set(key, statement);
    }
    return statement;
  }

  private listStatement(shape: ListShape): Database.Statement<ListParams, BookingRecord> {
    const key = `${bit(shape.after)}${bit(shape.status)}${shape.words}${shape.plan}${shape.joined}`;
    let statement = this.lists.get(key);
    if (!statement) {
      statement = this.database.db.prepare<ListParams, BookingRecord>(listSql(shape));
      this.lists.set(key, statement);
    }
    return statement;
  }

  /** Every method but importRows (booking-imports.ts) and the erasure (SqliteErasure): sqlite/index.ts adds them. */
  repository(): Omit<BookingRepository, 'importRows' | 'erase' | 'listNotErased'> {
    const { database } = this;
    return {
      book: (input) => database.write(() => this.book(input)),
      cancel: (id, at, mailFor) => database.write(() => this.cancel(id, at, mailFor)),
      importMany: (eventId, rows) => database.write(() => this.importMany(eventId, rows)),
      findById: (id) => database.read(() => this.find(id)),
      findByCode: (eventId, code) =>
        database.read(() => {
          const record = this.byCode.get(eventId, code);
          return record ? toBookingRow(record) : null;
        }),
      findByExternalId: (eventId, externalId) =>
        database.read(() => {
          const record = this.byExternalId.get(eventId, externalId);
          return record ? toBookingRow(record) : null;
        }),
      setPhoto: (id, photoId) => database.write(() => this.setPhoto(id, photoId)),
      findByIds: (ids) =>
        database.read(() => (ids.length === 0 ? [] : this.byIds.all(jsonList(ids)).map(toBookingRow))),
      listForEvent: (eventId, filter, after, limit) =>
        database.read(() => this.listForEvent(eventId, filter, after, limit)),
      listForUser: (userId, after, limit) =>
        database.read(() =>
          (after
            ? this.mineAfter.all({ userId, afterValue: after.value, afterId: after.id, limit: pageLimit(limit) })
            : this.mineFirst.all({ userId, limit: pageLimit(limit) })
          ).map(toBookingRow),
        ),
    };
  }
}
