import { type Attendee, foldForSearch, GatehouseError, truncateText } from '@gatehouse/protocol';
import type Database from 'better-sqlite3';
import { seatsLeft, storeErrors } from '../errors';
import type { After, BookInput, BookingListFilter, BookingRepository, BookOutcome, NewBooking } from '../port';
import type { BookingRow, BookingSource } from '../rows';
import { searchTermsOf } from '../search-words';
import { changeOf } from '../wire';
import type { SqliteAlerts } from './alerts';
import type { ChangeLog } from './changes';
import type { SqliteDatabase } from './database';
import { requireLiveEvent, type SqliteEvents } from './events';
import type { Handoffs } from './handoffs';
import { bit, jsonList, pageLimit, prefixEnd } from './sql';

const MAX_CODE_ATTEMPTS = 5;
/** Matching terms counted per search word at most: enough to choose a plan, cheap to count. */
const COUNT_CAP = 20_000;
/** Leads each term in `search_terms`, so `instr(search_terms, TERM_MARK || word)` is a prefix match. */
const TERM_MARK = '\u0001';
/** The columns of a BookingRow (every read takes these, never the search terms). */
const COLUMNS =
  'b.id, b.event_id, b.user_id, b.ticket_type_id, b.quantity, b.attendee_name, b.attendee_email, b.status, ' +
  'b.source, b.over_capacity, b.code, b.created_at, b.cancelled_at, b.erased_at, b.rev, b.photo_id, b.external_id, b.ordered_at';

export type BookingRecord = {
  id: string;
  event_id: string;
  user_id: string;
  ticket_type_id: string;
  quantity: number;
  attendee_name: string;
  attendee_email: string | null;
  status: BookingRow['status'];
  source: BookingSource;
  over_capacity: number;
  code: string;
  created_at: string;
  cancelled_at: string | null;
  erased_at: string | null;
  rev: number;
  photo_id: string | null;
  external_id: string | null;
  ordered_at: string | null;
};

export function attendeeOf(name: string, email: string | null | undefined): Attendee {
  return email === null || email === undefined ? { name } : { name, email };
}

/** A booking's search terms as stored (a control character in a name must not fake a term boundary). */
export function bookingTermsOf(attendee: Attendee, code: string): string[] {
  return searchTermsOf(attendee, code).map((term) => term.replaceAll(TERM_MARK, ''));
}

/** The `search_terms` column of a booking's terms: each led by TERM_MARK. */
export function searchTermsColumn(terms: readonly string[]): string {
  return TERM_MARK + terms.join(TERM_MARK);
}

export function toBookingRow(record: BookingRecord): BookingRow {
  return {
    id: record.id,
    rev: record.rev,
    eventId: record.event_id,
    userId: record.user_id,
    ticketTypeId: record.ticket_type_id,
    quantity: record.quantity,
    attendee: attendeeOf(record.attendee_name, record.attendee_email),
    status: record.status,
    source: record.source,
    overCapacity: record.over_capacity === 1,
    code: record.code,
    createdAt: record.created_at,
    cancelledAt: record.cancelled_at,
    ...(record.photo_id ? { photoId: record.photo_id } : {}),
    ...(record.external_id === null || record.external_id === undefined ? {} : { externalId: record.external_id }),
    ...(record.ordered_at ? { orderedAt: record.ordered_at } : {}),
    erasedAt: record.erased_at ?? null,
  };
}

export function toBookingParams(row: BookingRow, searchTerms: string): BookingRecord & { search_terms: string } {
  return {
    search_terms: searchTerms,
    id: row.id,
    event_id: row.eventId,
    user_id: row.userId,
    ticket_type_id: row.ticketTypeId,
    quantity: row.quantity,
    attendee_name: row.attendee.name,
    attendee_email: row.attendee.email ?? null,
    status: row.status,
    source: row.source,
    over_capacity: bit(row.overCapacity),
    code: row.code,
    created_at: row.createdAt,
    cancelled_at: row.cancelledAt,
    erased_at: row.erasedAt,
    rev: row.rev,
    photo_id: row.photoId ?? null,
    external_id: row.externalId ?? null,
    ordered_at: row.orderedAt ?? null,
  };
}

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

type ListParams = Record<string, string | number | null>;
/**
 * One plan of listForEvent. `walk`: the event's bookings in page order (by status first when
 * filtered), keeping those every word matches — with words, at most @budget rows are walked.
 * `driven`: the bookings that words 0 … joined-1 all name (their term ranges intersected in the
 * booking_words index), by primary key, kept when the other words match, sorted.
 */
type ListShape = { after: boolean; status: boolean; words: number; plan: 'walk' | 'driven'; joined: number };

/** Word i binds @lo<i>/@hi<i> (its term range) and @mark<i> (TERM_MARK + word). */
function listSql(shape: ListShape): string {
  const range = ['b.event_id = @eventId'];
  if (shape.status) range.push('b.status = @status');
  if (shape.after) range.push('(b.created_at, b.id) > (@afterValue, @afterId)');
  const matches: string[] = [];
  for (let index = shape.plan === 'driven' ? shape.joined : 0; index < shape.words; index++) {
    matches.push(`instr(b.search_terms, @mark${index}) > 0`);
  }
  const order = 'ORDER BY b.created_at, b.id';
  if (shape.plan === 'driven') {
    // A word can prefix several terms of one booking: DISTINCT (or INTERSECT, which runs inside
    // SQLite over index ranges) names it once. CROSS JOIN fixes the join order: the matching ids
    // first, then their bookings.
    const hits = Array.from(
      { length: shape.joined },
      (_, index) =>
        `SELECT DISTINCT w.booking_id AS id FROM booking_words w
         WHERE w.event_id = @eventId AND w.term >= @lo${index} AND w.term < @hi${index}`,
    ).join(' INTERSECT ');
    return `SELECT ${COLUMNS}
      FROM (${hits}) AS hit
      CROSS JOIN bookings b ON b.id = hit.id
      WHERE ${[...range, ...matches].join(' AND ')} ${order} LIMIT @limit`;
  }
  if (matches.length === 0)
    return `SELECT ${COLUMNS} FROM bookings b WHERE ${range.join(' AND ')} ${order} LIMIT @limit`;
  return `SELECT ${COLUMNS}
    FROM (SELECT * FROM bookings b WHERE ${range.join(' AND ')} ${order} LIMIT @budget) AS b
    WHERE ${matches.join(' AND ')} ${order} LIMIT @limit`;
}

/** How many rows a budgeted walk of this shape would read (at most @budget): did the budget cut it short? */
function walkedSql(shape: ListShape): string {
  const range = ['event_id = @eventId'];
  if (shape.status) range.push('status = @status');
  if (shape.after) range.push('(created_at, id) > (@afterValue, @afterId)');
  return `SELECT count(*) AS n FROM (SELECT 1 FROM bookings WHERE ${range.join(' AND ')} LIMIT @budget)`;
}

/**
 * Rows a search walks, estimated from the terms each word matches (`counts`, capped) among about
 * `total` bookings, the words taken as independent. The walk is budgeted at a few times this, and
 * the driven plan (whose cost, the rarest word's count, is known) takes over when that runs out:
 * words that rarely go together cost a bounded walk, not the whole event.
 */
function expectedWalk(counts: number[], total: number, wanted: number): number {
  return Math.min(total, wanted / shareOf(counts, total));
}

/** The share of `total` bookings that every word matches, the words taken as independent. */
function shareOf(counts: number[], total: number): number {
  return counts.reduce((product, count) => product * Math.min(1, count / total), 1);
}

/** Words intersected in the index at most; further words are checked on the rows found. */
const MAX_JOINED_WORDS = 3;
/**
 * Index entries an intersection reads per booking row a driven plan looks up, at equal cost: the
 * entries are compared inside SQLite, a row is a primary-key lookup and its part of the sort
 * (measured at 100,000 bookings: two words of 6,250 matches each, intersected 2.5 ms, driven by
 * one of them 10 ms).
 */
const ENTRIES_PER_ROW = 8;

/**
 * How many of the words (rarest first, `sorted` counts ascending) a driven plan intersects, and
 * its cost in walked-row units. A word whose count reached COUNT_CAP is too common to be worth
 * reading from the index; it is checked on the rows instead.
 */
function drivenPlan(sorted: number[], total: number): { joined: number; cost: number } {
  let best = { joined: 1, cost: sorted[0]! * 2 };
  for (let joined = 2; joined <= Math.min(sorted.length, MAX_JOINED_WORDS); joined++) {
    const counts = sorted.slice(0, joined);
    if (counts[joined - 1]! >= COUNT_CAP) break;
    const entries = counts.reduce((sum, count) => sum + count, 0);
    const cost = entries / ENTRIES_PER_ROW + 2 * total * shareOf(counts, total);
    if (cost < best.cost) best = { joined, cost };
  }
  return best;
}

/** Bookings, their search words and the seat counts they hold in their event. */
export class SqliteBookings {
  private readonly byId: Database.Statement<[string], BookingRecord>;
  private readonly byIds: Database.Statement<[string], BookingRecord>;
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

  /** The bookings of `ids` that exist, by id, read in one statement (a push's chunk of check-ins). */
  findMany(ids: readonly string[]): Map<string, BookingRow> {
    const found = new Map<string, BookingRow>();
    if (ids.length === 0) return found;
    for (const record of this.byIds.all(jsonList(ids))) found.set(record.id, toBookingRow(record));
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
