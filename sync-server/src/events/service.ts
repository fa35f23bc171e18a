import { randomBytes, randomUUID } from 'node:crypto';
import {
  EVENT_PATCH_FIELDS,
  GatehouseError,
  STAFF_WALK_INS_OFF_MESSAGE,
  compareHlc,
  mayAddWalkIn,
  type Event,
  type EventCreate,
  type EventField,
  type EventListQuery,
  type EventPatch,
  type EventStaff,
  type EventStats,
  type HybridClock,
  type Page,
  type StaffMember,
  type TicketTypeInput,
} from '@gatehouse/protocol';
import { ListPages } from '../http/pagination';
import type { EventEdit, Store, Viewer } from '../store/port';
import type { EventRow, EventSet, TicketTypeRow, UserRow } from '../store/rows';
import { toEvent } from '../store/wire';
import type { TicketService } from '../tickets/service';
import { computeEventStats } from './stats';

/** Fields whose change is worth an email to everyone booked. */
const MAIL_WORTHY_FIELDS: EventField[] = ['startsAt', 'endsAt', 'venue', 'timezone'];
const STAFF_ROLES = ['staff', 'organizer', 'admin'] as const;
/**
 * Events by when they were created, oldest first: never by start time, which an edit moves (an
 * event rescheduled from page 3 to page 1 during a walk was never listed). Screens sort by start.
 */
const EVENT_PAGES = new ListPages('events', 'createdAt', 'string');

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
    // Stored only when set, so ticket types saved before photos and those without look the same.
    ...(type.requiresPhoto ? { requiresPhoto: true } : {}),
  }));
}

export function viewerOf(user: UserRow): Viewer {
  return { id: user.id, role: user.role };
}

/** The event's organizer, or an admin: who may edit it, and undo any of its admissions. */
export function canManageRow(user: UserRow, row: EventRow): boolean {
  return user.role === 'admin' || (user.role === 'organizer' && row.organizerId === user.id);
}

function canCheckInRow(user: UserRow, row: EventRow): boolean {
  return canManageRow(user, row) || (user.role !== 'attendee' && row.staffIds.includes(user.id));
}

/**
 * An edit of `patch` stamped `hlc`, as a pure function of the event as it is when the store
 * applies it: per field, last writer wins by HLC (docs/ARCHITECTURE.md §3, Conflicts); invalid results
 * (endsAt before startsAt, removing a ticket type that has bookings) are refused with their codes.
 * Changes of date, venue or zone, and a cancellation, owe mail to everyone booked.
 */
export function eventEdit(patch: EventPatch, hlc: string, at: string): EventEdit {
  return (row, counts) => {
    const applied = EVENT_PATCH_FIELDS.filter(
      (field) => patch[field] !== undefined && compareHlc(hlc, row.fieldHlc[field] ?? '') > 0,
    );
    if (applied.length === 0) return null;
    const next: EventRow = { ...row };
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
    const set: EventSet = { updatedAt: at, fieldHlc: { ...row.fieldHlc } };
    for (const field of applied) {
      Object.assign(set, { [field]: next[field] });
      set.fieldHlc![field] = hlc;
    }
    if (applied.includes('startsAt')) set.startsAtMs = Date.parse(next.startsAt);
    if (applied.includes('endsAt')) set.endsAtMs = Date.parse(next.endsAt);
    const mail: string[] = [];
    if (MAIL_WORTHY_FIELDS.some((field) => applied.includes(field) && next[field] !== row[field])) {
      mail.push(`eventChanged:${row.rev + 1}`);
    }
    if (applied.includes('status') && next.status === 'cancelled' && row.status !== 'cancelled') {
      // Named after the rev this write gives the event: cancelled again after a reinstatement is another notice.
      mail.push(`eventCancelled:${row.rev + 1}`);
    }
    return { set, mail };
  };
}

/** Events: who may see and manage them, creation with a first ticket key, edits by HLC, staff. */
export class EventService {
  constructor(
    private readonly store: Store,
    /** REST edits are stamped by the server's clock, so they order against device edits by HLC. */
    readonly clock: HybridClock,
    private readonly tickets: TicketService,
  ) {}

  findRow(eventId: string): Promise<EventRow | null> {
    return this.store.events.findById(eventId);
  }

  /** The row if `user` may read it; NOT_FOUND otherwise, so existence does not leak. */
  async readableRow(user: UserRow, eventId: string): Promise<EventRow> {
    const row = await this.store.events.findVisible(eventId, viewerOf(user));
    if (!row) throw new GatehouseError('NOT_FOUND', 'Event not found');
    return row;
  }

  /** Organizer of the event or admin; FORBIDDEN for others who can see it, NOT_FOUND for the rest. */
  async assertCanManage(user: UserRow, eventId: string): Promise<EventRow> {
    const row = await this.readableRow(user, eventId);
    if (!canManageRow(user, row)) throw new GatehouseError('FORBIDDEN', 'Only the organizer or an admin may do this');
    return row;
  }

  /** As assertCanManage, or staff assigned to the event. */
  async assertCanCheckIn(user: UserRow, eventId: string): Promise<EventRow> {
    const row = await this.readableRow(user, eventId);
    if (!canCheckInRow(user, row)) {
      throw new GatehouseError('FORBIDDEN', 'Only the organizer, assigned staff or an admin may do this');
    }
    return row;
  }

  /**
   * As assertCanCheckIn, and the event lets this user add walk-ins (protocol's mayAddWalkIn): its
   * assigned staff only when it has `staffWalkIns`. FORBIDDEN otherwise, NOT_FOUND if not visible.
   */
  async assertCanAddWalkIn(user: UserRow, eventId: string): Promise<EventRow> {
    const row = await this.assertCanCheckIn(user, eventId);
    if (!mayAddWalkIn(user, row)) throw new GatehouseError('FORBIDDEN', STAFF_WALK_INS_OFF_MESSAGE);
    return row;
  }

  /** Events whose sync bucket the user's devices receive (docs/ARCHITECTURE.md, "Buckets"). */
  accessibleEventIds(user: UserRow): Promise<string[]> {
    return this.store.events.accessibleIds(viewerOf(user));
  }

  /** `options.id` fixes the id (demo data); otherwise a fresh uuid. */
  async create(actor: UserRow, input: EventCreate, options: { id?: string } = {}): Promise<Event> {
    if (actor.role !== 'admin' && actor.role !== 'organizer') {
      throw new GatehouseError('FORBIDDEN', 'Only organizers and admins create events');
    }
    const now = new Date().toISOString();
    const hlc = this.clock.tick();
    const id = options.id ?? randomUUID();
    const stored = await this.store.events.insert(
      {
        id,
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
        ticketTypes: resolveTicketTypes(input.ticketTypes, []),
        allowReentry: input.allowReentry,
        staffWalkIns: input.staffWalkIns,
        organizerId: actor.id,
        staffIds: [],
        bookedCount: 0,
        typeSold: {},
        fieldHlc: Object.fromEntries(EVENT_PATCH_FIELDS.map((field) => [field, hlc])),
        createdAt: now,
        updatedAt: now,
        deletedAt: null,
      },
      this.tickets.newKey(id),
    );
    return toEvent(stored);
  }

  async get(actor: UserRow, eventId: string): Promise<Event> {
    return toEvent(await this.readableRow(actor, eventId));
  }

  async list(actor: UserRow, query: EventListQuery): Promise<Page<Event>> {
    const rows = await this.store.events.list(
      viewerOf(actor),
      {
        ...(query.q ? { q: query.q } : {}),
        ...(query.status ? { status: query.status } : {}),
        ...(query.from ? { endsFromMs: Date.parse(query.from) } : {}),
        ...(query.to ? { startsBeforeMs: Date.parse(query.to) } : {}),
      },
      EVENT_PAGES.after(query.cursor),
      query.limit,
    );
    return EVENT_PAGES.page(rows, query.limit, (row) => toEvent(row));
  }

  /**
   * Per-field last writer wins by HLC. A device's stamp (`options.hlc`) is used as given (its
   * field wins or loses by it) and moves our clock past it; a REST edit is stamped now.
   */
  async update(actor: UserRow, eventId: string, patch: EventPatch, options: { hlc?: string } = {}): Promise<Event> {
    await this.assertCanManage(actor, eventId);
    const updated = await this.store.events.update(eventId, this.editFor(patch, options.hlc));
    if (!updated) throw new GatehouseError('NOT_FOUND', 'Event not found');
    return toEvent(updated);
  }

  /** The edit a patch makes, stamped by the device's HLC or by our clock now. */
  editFor(patch: EventPatch, deviceHlc?: string): EventEdit {
    let hlc: string;
    if (deviceHlc) {
      this.clock.receive(deviceHlc);
      hlc = deviceHlc;
    } else {
      hlc = this.clock.tick();
    }
    return eventEdit(patch, hlc, new Date().toISOString());
  }

  async remove(actor: UserRow, eventId: string): Promise<void> {
    await this.assertCanManage(actor, eventId);
    await this.store.events.remove(eventId, new Date().toISOString());
  }

  /**
   * For the organizer's "staff at this event" panel: who is assigned, and who could be (active users
   * with a staff-side role, by name or email). Only id, name, email and role leave the server.
   */
  async staffOf(actor: UserRow, eventId: string, q?: string): Promise<EventStaff> {
    const event = await this.assertCanManage(actor, eventId);
    const toMember = (user: UserRow): StaffMember => ({
      id: user.id,
      name: user.name,
      email: user.email,
      role: user.role,
    });
    const [assigned, candidates] = await Promise.all([
      event.staffIds.length ? this.store.users.findByIds(event.staffIds) : Promise.resolve([]),
      this.store.users.staffCandidates({
        roles: [...STAFF_ROLES],
        excludeIds: event.staffIds,
        ...(q ? { q } : {}),
        limit: 20,
      }),
    ]);
    return {
      assigned: assigned.map(toMember).sort((a, b) => a.name.localeCompare(b.name)),
      candidates: candidates.map(toMember),
    };
  }

  /** UNPROCESSABLE when an id is not a user with a staff-side role. */
  async setStaff(actor: UserRow, eventId: string, staffIds: string[]): Promise<Event> {
    await this.assertCanManage(actor, eventId);
    const unique = [...new Set(staffIds)];
    const found = unique.length ? await this.store.users.findByIds(unique) : [];
    const eligible = new Set(
      found.filter((user) => (STAFF_ROLES as readonly string[]).includes(user.role)).map((user) => user.id),
    );
    const refused = unique.filter((id) => !eligible.has(id));
    if (refused.length > 0) {
      throw new GatehouseError(
        'UNPROCESSABLE',
        'Staff must be existing users with role staff, organizer or admin',
        refused.slice(0, 20).map((id) => ({ path: 'staffIds', message: `${id} is not a staff member` })),
      );
    }
    const updated = await this.store.events.setStaff(eventId, unique, new Date().toISOString());
    if (!updated) throw new GatehouseError('NOT_FOUND', 'Event not found');
    return toEvent(updated);
  }

  /** The organizer's dashboard: for the event's organizer, its staff and admins. */
  async stats(actor: UserRow, eventId: string): Promise<EventStats> {
    const event = await this.assertCanCheckIn(actor, eventId);
    return computeEventStats(event, await this.store.events.statsFacts(eventId));
  }
}
