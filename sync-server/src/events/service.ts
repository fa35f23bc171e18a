import { randomBytes, randomUUID } from 'node:crypto';
import {
  EVENT_PATCH_FIELDS,
  GatehouseError,
  HybridClock,
  compareHlc,
  type Event,
  type EventCreate,
  type EventField,
  type EventListQuery,
  type EventPatch,
  type EventStaff,
  type StaffMember,
  type Page,
  type TicketTypeInput,
} from '@gatehouse/protocol';
import type { Collection, Db, Filter, UpdateFilter } from 'mongodb';
import { escapeRegex, upsertRacing } from '../db/mongo';
import { afterCursorFilter, toPage } from '../http/pagination';
import type { ChangeLog } from '../sync/changelog';
import type { TicketService } from '../tickets/service';
import type { UserDoc, UserStore } from '../users/store';
import { countSeats } from './counts';
import { eventChange, toEvent, type EventRow, type TicketTypeRow } from './rows';

const MAX_UPDATE_ATTEMPTS = 20;
/** Fields whose change is worth an email to everyone booked. */
const MAIL_WORTHY_FIELDS: EventField[] = ['startsAt', 'endsAt', 'venue', 'timezone'];
const STAFF_ROLES = new Set(['staff', 'organizer', 'admin']);

function newTicketTypeId(): string {
  return `tt_${randomBytes(6).toString('base64url')}`;
}

function resolveTicketTypes(input: TicketTypeInput[], existing: TicketTypeRow[]): TicketTypeRow[] {
  const known = new Set(existing.map((type) => type.id));
  return input.map((type) => ({
    // An unknown id from a client is not ours to trust as a field name of another event: re-issue it.
    id: type.id && known.has(type.id) ? type.id : newTicketTypeId(),
    name: type.name,
    price: type.price,
    quota: type.quota,
  }));
}

type RecountOwed = { _id: string; at: Date; n: number };

/** A recount takes milliseconds; a mark this old was left by a process that stopped before it. */
const RECOUNT_REPAIR_AGE_MS = 30_000;

export class EventService {
  readonly events: Collection<EventRow>;
  /** REST edits are stamped by the server's clock, so they order against device edits by HLC. */
  readonly clock = new HybridClock(`server-${randomBytes(4).toString('hex')}`);

  constructor(
    private readonly db: Db,
    private readonly changeLog: ChangeLog,
    private readonly users: UserStore,
    private readonly tickets: TicketService,
  ) {
    this.events = db.collection<EventRow>('events');
    this.recountsOwed = db.collection<RecountOwed>('recountsOwed');
  }

  /**
   * Events whose seat-count snapshot a booking change has made stale, written before the change:
   * a process killed between the change and its recount leaves the mark, and `repairRecounts`
   * (any process, at start and every minute) does the recount. `n` tells a mark renewed during a
   * recount from the one that recount saw, so a racing writer's mark is never removed unserved.
   */
  private readonly recountsOwed: Collection<RecountOwed>;

  async owesRecount(eventId: string): Promise<void> {
    await upsertRacing(() =>
      this.recountsOwed.updateOne({ _id: eventId }, { $set: { at: new Date() }, $inc: { n: 1 } }, { upsert: true }),
    );
  }

  /** Recounts the events whose marks are older than any recount in flight; returns how many. */
  async repairRecounts(olderThanMs = RECOUNT_REPAIR_AGE_MS): Promise<number> {
    const owed = await this.recountsOwed
      .find({ at: { $lt: new Date(Date.now() - olderThanMs) } })
      .limit(100)
      .toArray();
    for (const mark of owed) this.scheduleRecount(mark._id);
    await Promise.all(owed.map((mark) => this.countsSettled(mark._id)));
    return owed.length;
  }

  /** Per event: the recount in flight in this process, and whether another write came meanwhile. */
  private readonly recounts = new Map<string, Promise<void>>();
  private readonly recountAgain = new Set<string>();

  /**
   * Refreshes the event's seat-count snapshot (bookedCount, per-type sold) after bookings change,
   * coalesced: one recount in flight per event, one more if writes arrived during it. Counting is
   * a query over bookings, so it stays off the booking request's path; the snapshot is logged like
   * any event write, so devices see the counts too.
   */
  scheduleRecount(eventId: string): void {
    if (this.recounts.has(eventId)) {
      this.recountAgain.add(eventId);
      return;
    }
    const run = async () => {
      try {
        for (let round = 0; round < 100; round++) {
          this.recountAgain.delete(eventId);
          const owed = await this.recountsOwed.findOne({ _id: eventId });
          await this.recount(eventId);
          if (owed && !this.recountAgain.has(eventId)) {
            await this.recountsOwed.deleteOne({ _id: eventId, n: owed.n });
          }
          // Checked with no await before leaving the map below: a write that arrived at any point
          // of this round (the mark's removal included) found this run in flight and left it the
          // recount; it must not be dropped.
          if (!this.recountAgain.has(eventId)) return;
        }
      } finally {
        this.recounts.delete(eventId);
      }
    };
    const done = run().catch((error: unknown) => this.onRecountError?.(error));
    this.recounts.set(eventId, done);
  }

  onRecountError?: (error: unknown) => void;

  private async recount(eventId: string): Promise<void> {
    const counts = (await countSeats(this.db, [eventId])).get(eventId)!;
    const row = await this.findRow(eventId);
    if (!row) return;
    const sameTypes =
      Object.keys(counts.byType).length === Object.keys(row.typeSold).filter((id) => row.typeSold[id]).length &&
      Object.entries(counts.byType).every(([id, sold]) => row.typeSold[id] === sold);
    if (row.bookedCount === counts.booked && sameTypes) return;
    await this.updateRow(
      { _id: eventId, deletedAt: null },
      { $set: { bookedCount: counts.booked, typeSold: counts.byType } },
    );
  }

  /** Read-your-writes in this process: waits for a pending recount of the event. */
  async countsSettled(eventId: string): Promise<void> {
    for (let i = 0; i < 100 && this.recounts.has(eventId); i++) await this.recounts.get(eventId);
  }

  /** Waits for every recount in flight (server shutdown). */
  async drain(): Promise<void> {
    await Promise.all([...this.recounts.values()]);
  }

  async ensureIndexes(): Promise<void> {
    await this.events.createIndex({ startsAtMs: 1, _id: 1 });
    await this.events.createIndex({ organizerId: 1, startsAtMs: 1 });
    await this.events.createIndex({ staffIds: 1 });
    await this.events.createIndex({ status: 1, startsAtMs: 1 });
    await this.events.createIndex({ mailPending: 1 });
  }

  repairPending(): Promise<number> {
    return this.changeLog.repairPending(this.events, eventChange);
  }

  /** Logged update of one event row; returns null when the filter no longer matches. */
  updateRow(filter: Filter<EventRow>, update: UpdateFilter<EventRow>): Promise<EventRow | null> {
    return this.changeLog.updateAndLog(this.events, filter, update, eventChange);
  }

  findRow(eventId: string): Promise<EventRow | null> {
    return this.events.findOne({ _id: eventId, deletedAt: null });
  }

  /** Who may see an event that is not published: its organizer, its staff, admins. */
  private visibilityFilter(user: UserDoc): Filter<EventRow> {
    if (user.role === 'admin') return { deletedAt: null };
    return {
      deletedAt: null,
      $or: [{ status: 'published' }, { organizerId: user._id }, { staffIds: user._id }],
    };
  }

  private canManageRow(user: UserDoc, row: EventRow): boolean {
    return user.role === 'admin' || (user.role === 'organizer' && row.organizerId === user._id);
  }

  private canCheckInRow(user: UserDoc, row: EventRow): boolean {
    return this.canManageRow(user, row) || (user.role !== 'attendee' && row.staffIds.includes(user._id));
  }

  /** The row if `user` may read it; NOT_FOUND otherwise, so existence does not leak. */
  async readableRow(user: UserDoc, eventId: string): Promise<EventRow> {
    const row = await this.events.findOne({ $and: [{ _id: eventId }, this.visibilityFilter(user)] });
    if (!row) throw new GatehouseError('NOT_FOUND', 'Event not found');
    return row;
  }

  async assertCanManage(user: UserDoc, eventId: string): Promise<EventRow> {
    const row = await this.readableRow(user, eventId);
    if (!this.canManageRow(user, row))
      throw new GatehouseError('FORBIDDEN', 'Only the organizer or an admin may do this');
    return row;
  }

  async assertCanCheckIn(user: UserDoc, eventId: string): Promise<EventRow> {
    const row = await this.readableRow(user, eventId);
    if (!this.canCheckInRow(user, row)) {
      throw new GatehouseError('FORBIDDEN', 'Only the organizer, assigned staff or an admin may do this');
    }
    return row;
  }

  /** Events whose sync bucket the user's devices receive (DESIGN §4). */
  async accessibleEventIds(user: UserDoc): Promise<string[]> {
    let filter: Filter<EventRow>;
    if (user.role === 'admin') filter = { deletedAt: null };
    else if (user.role === 'organizer')
      filter = { deletedAt: null, $or: [{ organizerId: user._id }, { staffIds: user._id }] };
    else if (user.role === 'staff') filter = { deletedAt: null, staffIds: user._id };
    else return [];
    const rows = await this.events.find(filter, { projection: { _id: 1 } }).toArray();
    return rows.map((row) => row._id);
  }

  /** `options.id` fixes the id (demo data); otherwise a fresh uuid. */
  async create(actor: UserDoc, input: EventCreate, options: { id?: string } = {}): Promise<Event> {
    if (actor.role !== 'admin' && actor.role !== 'organizer') {
      throw new GatehouseError('FORBIDDEN', 'Only organizers and admins create events');
    }
    const now = new Date().toISOString();
    const hlc = this.clock.tick();
    const ticketTypes = resolveTicketTypes(input.ticketTypes, []);
    const row: EventRow = {
      _id: options.id ?? randomUUID(),
      rev: 0,
      title: input.title,
      description: input.description,
      venue: input.venue,
      startsAt: input.startsAt,
      endsAt: input.endsAt,
      startsAtMs: Date.parse(input.startsAt),
      endsAtMs: Date.parse(input.endsAt),
      timezone: input.timezone,
      capacity: input.capacity,
      status: input.status,
      ticketTypes,
      organizerId: actor._id,
      staffIds: [],
      bookedCount: 0,
      typeSold: {},
      fieldHlc: Object.fromEntries(EVENT_PATCH_FIELDS.map((field) => [field, hlc])),
      createdAt: now,
      updatedAt: now,
      deletedAt: null,
      mailPending: [],
    };
    const stored = await this.changeLog.insertAndLog(this.events, row, eventChange);
    await this.tickets.createKey(stored._id);
    return toEvent(stored);
  }

  async get(actor: UserDoc, eventId: string): Promise<Event> {
    await this.countsSettled(eventId);
    return toEvent(await this.readableRow(actor, eventId));
  }

  async list(actor: UserDoc, query: EventListQuery): Promise<Page<Event>> {
    const and: Filter<EventRow>[] = [this.visibilityFilter(actor)];
    const after = afterCursorFilter<EventRow>('startsAtMs', 1, query.cursor);
    if (query.cursor) and.push(after);
    if (query.status) and.push({ status: query.status });
    if (query.from) and.push({ endsAtMs: { $gte: Date.parse(query.from) } });
    if (query.to) and.push({ startsAtMs: { $lt: Date.parse(query.to) } });
    if (query.q) {
      const pattern = new RegExp(escapeRegex(query.q), 'i');
      and.push({ $or: [{ title: pattern }, { venue: pattern }, { description: pattern }] });
    }
    const rows = await this.events
      .find({ $and: and })
      .sort({ startsAtMs: 1, _id: 1 })
      .limit(query.limit + 1)
      .toArray();
    return toPage(
      rows,
      query.limit,
      (row) => row.startsAtMs,
      (row) => toEvent(row),
    );
  }

  /**
   * Per-field last writer wins by HLC; optimistic concurrency on `rev`, so two edits racing on
   * different fields both land (on MongoDB; FerretDB does not isolate the compare from the write).
   */
  async update(actor: UserDoc, eventId: string, patch: EventPatch, options: { hlc?: string } = {}): Promise<Event> {
    let hlc: string;
    if (options.hlc) {
      // A device's stamp is used as given (its field wins or loses by it); our clock moves past it.
      this.clock.receive(options.hlc);
      hlc = options.hlc;
    } else {
      hlc = this.clock.tick();
    }
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      const row = await this.assertCanManage(actor, eventId);
      const applied = EVENT_PATCH_FIELDS.filter(
        (field) => patch[field] !== undefined && compareHlc(hlc, row.fieldHlc[field] ?? '') > 0,
      );
      if (applied.length === 0) return toEvent(row);
      const counts = (await countSeats(this.db, [eventId])).get(eventId)!;
      const set: Record<string, unknown> = { updatedAt: new Date().toISOString() };
      for (const field of applied) set[`fieldHlc.${field}`] = hlc;
      const next = { ...row };
      for (const field of applied) {
        if (field === 'ticketTypes') next.ticketTypes = resolveTicketTypes(patch.ticketTypes!, row.ticketTypes);
        else Object.assign(next, { [field]: patch[field] });
      }
      if (Date.parse(next.endsAt) <= Date.parse(next.startsAt)) {
        throw new GatehouseError('VALIDATION_FAILED', 'endsAt must be after startsAt', [
          { path: 'endsAt', message: 'must be after startsAt' },
        ]);
      }
      const kept = new Set(next.ticketTypes.map((type) => type.id));
      const orphaned = row.ticketTypes.filter((type) => !kept.has(type.id) && (counts.byType[type.id] ?? 0) > 0);
      if (orphaned.length > 0) {
        throw new GatehouseError(
          'CONFLICT',
          'A ticket type with confirmed bookings cannot be removed',
          orphaned.map((type) => ({ path: 'ticketTypes', message: `${type.name} has bookings` })),
        );
      }
      for (const field of applied) set[field] = next[field];
      if (applied.includes('startsAt')) set.startsAtMs = Date.parse(next.startsAt);
      if (applied.includes('endsAt')) set.endsAtMs = Date.parse(next.endsAt);
      set.bookedCount = counts.booked;
      set.typeSold = counts.byType;

      const mail: string[] = [];
      if (MAIL_WORTHY_FIELDS.some((field) => applied.includes(field) && next[field] !== row[field])) {
        mail.push(`eventChanged:${row.rev + 1}`);
      }
      if (applied.includes('status') && next.status === 'cancelled' && row.status !== 'cancelled') {
        mail.push('eventCancelled');
      }
      const update: UpdateFilter<EventRow> = { $set: set };
      if (mail.length > 0) update.$addToSet = { mailPending: { $each: mail } };
      const updated = await this.updateRow({ _id: eventId, rev: row.rev, deletedAt: null }, update);
      if (updated) return toEvent(updated, counts);
    }
    throw new GatehouseError('CONFLICT', 'The event is changing too fast; try again');
  }

  async remove(actor: UserDoc, eventId: string): Promise<void> {
    await this.assertCanManage(actor, eventId);
    const now = new Date().toISOString();
    await this.updateRow({ _id: eventId, deletedAt: null }, { $set: { deletedAt: now, updatedAt: now } });
  }

  /**
   * For the organizer's "staff at this event" panel: who is assigned, and who could be (active users
   * with a staff-side role, by name or email). Only id, name, email and role leave the server.
   */
  async staffOf(actor: UserDoc, eventId: string, q?: string): Promise<EventStaff> {
    const event = await this.assertCanManage(actor, eventId);
    const projection = { _id: 1, name: 1, email: 1, role: 1 };
    const toMember = (user: Pick<UserDoc, '_id' | 'name' | 'email' | 'role'>): StaffMember => ({
      id: user._id,
      name: user.name,
      email: user.email,
      role: user.role,
    });
    const assigned = event.staffIds.length
      ? await this.users.users.find({ _id: { $in: event.staffIds } }, { projection }).toArray()
      : [];
    const filter: Filter<UserDoc> = {
      role: { $in: [...STAFF_ROLES] as UserDoc['role'][] },
      disabled: false,
      _id: { $nin: event.staffIds },
    };
    if (q) {
      const pattern = new RegExp(escapeRegex(q), 'i');
      filter.$or = [{ name: pattern }, { email: pattern }];
    }
    const candidates = await this.users.users.find(filter, { projection }).sort({ name: 1 }).limit(20).toArray();
    return {
      assigned: assigned.map(toMember).sort((a, b) => a.name.localeCompare(b.name)),
      candidates: candidates.map(toMember),
    };
  }

  async setStaff(actor: UserDoc, eventId: string, staffIds: string[]): Promise<Event> {
    await this.assertCanManage(actor, eventId);
    const unique = [...new Set(staffIds)];
    const found = await this.users.users
      .find({ _id: { $in: unique } }, { projection: { _id: 1, role: 1, disabled: 1 } })
      .toArray();
    const eligible = new Set(found.filter((user) => STAFF_ROLES.has(user.role)).map((user) => user._id));
    const refused = unique.filter((id) => !eligible.has(id));
    if (refused.length > 0) {
      throw new GatehouseError(
        'UNPROCESSABLE',
        'Staff must be existing users with role staff, organizer or admin',
        refused.slice(0, 20).map((id) => ({ path: 'staffIds', message: `${id} is not a staff member` })),
      );
    }
    const updated = await this.updateRow(
      { _id: eventId, deletedAt: null },
      { $set: { staffIds: unique, updatedAt: new Date().toISOString() } },
    );
    if (!updated) throw new GatehouseError('NOT_FOUND', 'Event not found');
    return toEvent(updated);
  }
}
