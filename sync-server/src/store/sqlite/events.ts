import { foldForSearch, type EventStatus } from '@gatehouse/protocol';
import type Database from 'better-sqlite3';
import { storeErrors } from '../errors';
import type { After, EventEdit, EventListFilter, EventRepository, EventStatsFacts, Viewer } from '../port';
import type { EventRow, EventSet, SeatCounts, TicketKeyRow, TicketTypeRow } from '../rows';
import { changeOf } from '../wire';
import type { ChangeLog } from './changes';
import type { SqliteDatabase } from './database';
import type { Handoffs } from './handoffs';
import { pageLimit, parseJson } from './sql';
import type { SqliteTicketKeys } from './ticket-keys';

const DAY_MS = 86_400_000;

export type EventRecord = {
  id: string;
  rev: number;
  title: string;
  description: string;
  venue: string;
  starts_at: string;
  ends_at: string;
  starts_at_ms: number;
  ends_at_ms: number;
  timezone: string;
  capacity: number;
  status: EventStatus;
  ticket_types: string;
  allow_reentry: 0 | 1;
  staff_walk_ins: 0 | 1;
  erase_attendees_after_days: number | null;
  organizer_id: string;
  staff_ids: string;
  booked_count: number;
  type_sold: string;
  field_hlc: string;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
};

export function toEventRow(record: EventRecord): EventRow {
  return {
    id: record.id,
    rev: record.rev,
    title: record.title,
    description: record.description,
    venue: record.venue,
    startsAt: record.starts_at,
    endsAt: record.ends_at,
    startsAtMs: record.starts_at_ms,
    endsAtMs: record.ends_at_ms,
    timezone: record.timezone,
    capacity: record.capacity,
    status: record.status,
    ticketTypes: parseJson<TicketTypeRow[]>(record.ticket_types),
    allowReentry: record.allow_reentry === 1,
    staffWalkIns: record.staff_walk_ins === 1,
    eraseAttendeesAfterDays: record.erase_attendees_after_days ?? null,
    organizerId: record.organizer_id,
    staffIds: parseJson<string[]>(record.staff_ids),
    bookedCount: record.booked_count,
    typeSold: parseJson<Record<string, number>>(record.type_sold),
    fieldHlc: parseJson<Record<string, string>>(record.field_hlc),
    createdAt: record.created_at,
    updatedAt: record.updated_at,
    deletedAt: record.deleted_at,
  };
}

export function toEventParams(row: EventRow): EventRecord {
  return {
    id: row.id,
    rev: row.rev,
    title: row.title,
    description: row.description,
    venue: row.venue,
    starts_at: row.startsAt,
    ends_at: row.endsAt,
    starts_at_ms: row.startsAtMs,
    ends_at_ms: row.endsAtMs,
    timezone: row.timezone,
    capacity: row.capacity,
    status: row.status,
    ticket_types: JSON.stringify(row.ticketTypes),
    allow_reentry: row.allowReentry ? 1 : 0,
    staff_walk_ins: row.staffWalkIns ? 1 : 0,
    erase_attendees_after_days: row.eraseAttendeesAfterDays,
    organizer_id: row.organizerId,
    staff_ids: JSON.stringify(row.staffIds),
    booked_count: row.bookedCount,
    type_sold: JSON.stringify(row.typeSold),
    field_hlc: JSON.stringify(row.fieldHlc),
    created_at: row.createdAt,
    updated_at: row.updatedAt,
    deleted_at: row.deletedAt,
  };
}

/** The fields an edit may set, in the order they are applied (every key of EventSet). */
const SETTABLE: ReadonlyArray<keyof EventSet> = [
  'title',
  'description',
  'venue',
  'startsAt',
  'endsAt',
  'startsAtMs',
  'endsAtMs',
  'timezone',
  'capacity',
  'status',
  'ticketTypes',
  'allowReentry',
  'staffWalkIns',
  'eraseAttendeesAfterDays',
  'fieldHlc',
  'updatedAt',
];

function applySet(row: EventRow, set: EventSet): EventRow {
  const next: EventRow = { ...row };
  const target = next as Record<keyof EventSet, unknown>;
  for (const key of SETTABLE) {
    // An absent key and an explicit `undefined` both leave the field as it is.
    if (set[key] !== undefined) target[key] = set[key];
  }
  return next;
}

/**
 * Who may see an event, as SQL over `events` (aliased `e`): admins all live events; others live
 * events that are published, theirs, or staffed by them.
 */
const VISIBLE = `e.deleted_at IS NULL AND (
  @admin = 1 OR e.status = 'published' OR e.organizer_id = @userId
  OR EXISTS (SELECT 1 FROM event_staff s WHERE s.user_id = @userId AND s.event_id = e.id))`;

type ViewerParams = { admin: 0 | 1; userId: string };
type ListParams = ViewerParams & {
  status: string | null;
  endsFrom: number | null;
  startsBefore: number | null;
  q: string | null;
  afterValue: string | null;
  afterId: string | null;
  limit: number;
};

function viewerParams(viewer: Viewer): ViewerParams {
  return { admin: viewer.role === 'admin' ? 1 : 0, userId: viewer.id };
}

/** Events, their staff and seat counts. Every write is logged to `event:<id>`. */
export class SqliteEvents {
  private readonly liveById: Database.Statement<[string], EventRecord>;
  private readonly anyById: Database.Statement<[string], EventRecord>;
  private readonly insertRow: Database.Statement<EventRecord>;
  private readonly updateRow: Database.Statement<EventRecord>;
  private readonly addStaff: Database.Statement<[string, string]>;
  private readonly removeStaff: Database.Statement<[string, string]>;
  private readonly visibleById: Database.Statement<ViewerParams & { id: string }, EventRecord>;
  private readonly listFirst: Database.Statement<ListParams, EventRecord>;
  private readonly listAfter: Database.Statement<ListParams, EventRecord>;
  private readonly allIds: Database.Statement<[], { id: string }>;
  private readonly organizerIds: Database.Statement<{ userId: string }, { id: string }>;
  private readonly staffedIds: Database.Statement<{ userId: string }, { id: string }>;
  private readonly seatGroups: Database.Statement<
    [string],
    { ticket_type_id: string; status: 'confirmed' | 'cancelled'; seats: number }
  >;
  private readonly scans: Database.Statement<
    [string],
    {
      id: string;
      hlc: string;
      booking_id: string;
      ticket_type_id: string | null;
      booking_status: 'confirmed' | 'cancelled' | null;
      gate: string;
      direction: 'in' | 'out' | 'void';
      voids: string | null;
      scanned_at: string;
    }
  >;

  constructor(
    private readonly database: SqliteDatabase,
    private readonly changes: ChangeLog,
    private readonly handoffs: Handoffs,
    private readonly ticketKeys: SqliteTicketKeys,
  ) {
    const { db } = database;
    this.liveById = db.prepare('SELECT * FROM events WHERE id = ? AND deleted_at IS NULL');
    this.anyById = db.prepare('SELECT * FROM events WHERE id = ?');
    const columns =
      'id, rev, title, description, venue, starts_at, ends_at, starts_at_ms, ends_at_ms, timezone, capacity, status, ' +
      'ticket_types, allow_reentry, staff_walk_ins, erase_attendees_after_days, organizer_id, staff_ids, booked_count, type_sold, field_hlc, created_at, updated_at, deleted_at';
    this.insertRow = db.prepare(
      `INSERT INTO events (${columns}) VALUES (${columns
        .split(', ')
        .map((column) => `@${column}`)
        .join(', ')})`,
    );
    this.updateRow = db.prepare(
      `UPDATE events SET ${columns
        .split(', ')
        .filter((column) => column !== 'id')
        .map((column) => `${column} = @${column}`)
        .join(', ')} WHERE id = @id`,
    );
    this.addStaff = db.prepare('INSERT OR IGNORE INTO event_staff (user_id, event_id) VALUES (?, ?)');
    this.removeStaff = db.prepare('DELETE FROM event_staff WHERE user_id = ? AND event_id = ?');
    this.visibleById = db.prepare(`SELECT e.* FROM events e WHERE e.id = @id AND ${VISIBLE}`);
    const filters = `${VISIBLE}
      AND (@status IS NULL OR e.status = @status)
      AND (@endsFrom IS NULL OR e.ends_at_ms >= @endsFrom)
      AND (@startsBefore IS NULL OR e.starts_at_ms < @startsBefore)
      AND (@q IS NULL OR gh_contains(e.title, @q) OR gh_contains(e.venue, @q) OR gh_contains(e.description, @q))`;
    this.listFirst = db.prepare(
      `SELECT e.* FROM events e WHERE ${filters} AND @afterValue IS NULL ORDER BY e.created_at, e.id LIMIT @limit`,
    );
    this.listAfter = db.prepare(
      `SELECT e.* FROM events e WHERE ${filters} AND (e.created_at, e.id) > (@afterValue, @afterId)
       ORDER BY e.created_at, e.id LIMIT @limit`,
    );
    this.allIds = db.prepare('SELECT id FROM events WHERE deleted_at IS NULL');
    this.organizerIds = db.prepare(
      `SELECT e.id FROM events e WHERE e.deleted_at IS NULL AND e.organizer_id = @userId
       UNION
       SELECT e.id FROM event_staff s JOIN events e ON e.id = s.event_id WHERE s.user_id = @userId AND e.deleted_at IS NULL`,
    );
    this.staffedIds = db.prepare(
      'SELECT e.id FROM event_staff s JOIN events e ON e.id = s.event_id WHERE s.user_id = @userId AND e.deleted_at IS NULL',
    );
    this.seatGroups = db.prepare(
      `SELECT ticket_type_id, status, sum(quantity) AS seats FROM bookings WHERE event_id = ?
       GROUP BY ticket_type_id, status`,
    );
    this.scans = db.prepare(
      `SELECT c.id, c.hlc, c.booking_id, b.ticket_type_id, b.status AS booking_status, c.gate, c.direction, c.voids, c.scanned_at
       FROM checkins c LEFT JOIN bookings b ON b.id = c.booking_id WHERE c.event_id = ?`,
    );
  }

  /** The live (not deleted) event, or null. */
  findLive(id: string): EventRow | null {
    const record = this.liveById.get(id);
    return record ? toEventRow(record) : null;
  }

  insert(input: Omit<EventRow, 'rev'>, firstKey: Omit<TicketKeyRow, 'rev'>): EventRow {
    const row: EventRow = { ...input, staffIds: [...new Set(input.staffIds)], rev: 1 };
    this.insertRow.run(toEventParams(row));
    for (const userId of row.staffIds) this.addStaff.run(userId, row.id);
    this.changes.append(changeOf.event(row));
    this.ticketKeys.insert(firstKey);
    return row;
  }

  /** Writes a new version of the row (its rev already bumped) and logs it. */
  write(row: EventRow): void {
    this.updateRow.run(toEventParams(row));
    this.changes.append(changeOf.event(row));
  }

  update(id: string, edit: EventEdit): EventRow | null {
    const current = this.findLive(id);
    if (!current) return null;
    // Exact: every booking write updates these in its own transaction.
    const counts: SeatCounts = { booked: current.bookedCount, byType: { ...current.typeSold } };
    const outcome = edit(current, counts);
    if (!outcome) return current;
    const next = applySet(current, outcome.set);
    next.rev = current.rev + 1;
    this.write(next);
    this.handoffs.add('event', id, outcome.mail, next.rev);
    return next;
  }

  setStaff(id: string, staffIds: string[], at: string): EventRow | null {
    const current = this.findLive(id);
    if (!current) return null;
    const wanted = [...new Set(staffIds)];
    const keep = new Set(wanted);
    for (const userId of current.staffIds) if (!keep.has(userId)) this.removeStaff.run(userId, id);
    for (const userId of wanted) this.addStaff.run(userId, id);
    const next: EventRow = { ...current, staffIds: wanted, updatedAt: at, rev: current.rev + 1 };
    this.write(next);
    return next;
  }

  remove(id: string, at: string): boolean {
    const current = this.findLive(id);
    if (!current) return false;
    this.write({ ...current, deletedAt: at, updatedAt: at, rev: current.rev + 1 });
    return true;
  }

  /**
   * Moves `seats` seats of `ticketTypeId` into (positive) or out of (negative) the live event's
   * counts, bumping its rev and logging it. A type that drops to zero leaves `typeSold`, as a
   * recount would leave it.
   */
  addSeats(event: EventRow, ticketTypeId: string, seats: number): EventRow {
    const typeSold = { ...event.typeSold };
    const sold = (typeSold[ticketTypeId] ?? 0) + seats;
    if (sold === 0) delete typeSold[ticketTypeId];
    else typeSold[ticketTypeId] = sold;
    const next: EventRow = { ...event, bookedCount: event.bookedCount + seats, typeSold, rev: event.rev + 1 };
    this.write(next);
    return next;
  }

  list(viewer: Viewer, filter: EventListFilter, after: After<string> | undefined, limit: number): EventRow[] {
    const params: ListParams = {
      ...viewerParams(viewer),
      status: filter.status ?? null,
      endsFrom: filter.endsFromMs ?? null,
      startsBefore: filter.startsBeforeMs ?? null,
      q: filter.q ? foldForSearch(filter.q) : null,
      afterValue: after ? after.value : null,
      afterId: after ? after.id : null,
      limit: pageLimit(limit),
    };
    return (after ? this.listAfter : this.listFirst).all(params).map(toEventRow);
  }

  accessibleIds(viewer: Viewer): string[] {
    switch (viewer.role) {
      case 'admin':
        return this.allIds.all().map((row) => row.id);
      case 'organizer':
        return this.organizerIds.all({ userId: viewer.id }).map((row) => row.id);
      case 'staff':
        return this.staffedIds.all({ userId: viewer.id }).map((row) => row.id);
      default:
        return [];
    }
  }

  statsFacts(id: string): EventStatsFacts {
    return {
      seats: this.seatGroups
        .all(id)
        .map((group) => ({ ticketTypeId: group.ticket_type_id, status: group.status, seats: group.seats })),
      scans: this.scans.all(id).map((scan) => ({
        id: scan.id,
        hlc: scan.hlc,
        bookingId: scan.booking_id,
        ticketTypeId: scan.ticket_type_id,
        bookingStatus: scan.booking_status,
        gate: scan.gate,
        direction: scan.direction,
        voids: scan.voids ?? undefined,
        scannedAt: scan.scanned_at,
      })),
    };
  }

  repository(): EventRepository {
    const { database } = this;
    // A handful of events carry the setting; the rest are filtered out by the first test.
    const due = database.db.prepare<[number, number], { id: string }>(
      `SELECT id FROM events WHERE erase_attendees_after_days IS NOT NULL AND deleted_at IS NULL
         AND ends_at_ms + erase_attendees_after_days * ${DAY_MS} <= ? ORDER BY id LIMIT ?`,
    );
    return {
      dueForErasure: (nowMs, limit) =>
        database.read(() => due.all(nowMs, Math.max(0, Math.floor(limit))).map((row) => row.id)),
      insert: (row, firstKey) => database.write(() => this.insert(row, firstKey)),
      findById: (id) => database.read(() => this.findLive(id)),
      findVisible: (id, viewer) =>
        database.read(() => {
          const record = this.visibleById.get({ id, ...viewerParams(viewer) });
          return record ? toEventRow(record) : null;
        }),
      list: (viewer, filter, after, limit) => database.read(() => this.list(viewer, filter, after, limit)),
      accessibleIds: (viewer) => database.read(() => this.accessibleIds(viewer)),
      update: (id, edit) => database.write(() => this.update(id, edit)),
      setStaff: (id, staffIds, at) => database.write(() => this.setStaff(id, staffIds, at)),
      remove: (id, at) => database.write(() => this.remove(id, at)),
      seatCounts: (id) =>
        database.read(() => {
          const record = this.anyById.get(id);
          if (!record) return { booked: 0, byType: {} };
          return { booked: record.booked_count, byType: parseJson<Record<string, number>>(record.type_sold) };
        }),
      statsFacts: (id) => database.read(() => this.statsFacts(id)),
    };
  }
}

/** NOT_FOUND unless the live event exists: for writes that need it. */
export function requireLiveEvent(events: SqliteEvents, id: string): EventRow {
  const event = events.findLive(id);
  if (!event) throw storeErrors.eventNotFound();
  return event;
}
