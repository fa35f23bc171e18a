import type { Collection, Filter, UpdateFilter } from 'mongodb';
import { GatehouseError } from '@gatehouse/protocol';
import type { After, EventEdit, EventListFilter, EventRepository, EventStatsFacts, Viewer } from '../port';
import type { EventRow, SeatCounts, TicketKeyRow } from '../rows';
import { changeOf } from '../wire';
import type { LoggedCollection } from './changelog';
import { fieldsEqual, updateWhere } from './conditional';
import type { StoreContext } from './context';
import { COLLECTIONS, toEventRow, withoutId, type BookingDoc, type CheckinDoc, type EventDoc } from './documents';
import { foldingPattern } from './folding-regex';
import { afterKey } from './queries';
import { countSeats, Recounts } from './recounts';
import { peaksOf, scopeKeyOfType } from './seats';
import type { MongoTicketKeys } from './ticket-keys';

/** Optimistic retries of an edit whose row moved under it. */
const MAX_UPDATE_ATTEMPTS = 20;
const ID_CHUNK = 1000;

type SeatGroup = { _id: { ticketTypeId: string; status: 'confirmed' | 'cancelled' }; seats: number };

/** Who may see an event that is not published: its organizer, its staff, admins. */
function visibleTo(event: Pick<EventRow, 'status' | 'organizerId' | 'staffIds'>, viewer: Viewer): boolean {
  return (
    viewer.role === 'admin' ||
    event.status === 'published' ||
    event.organizerId === viewer.id ||
    event.staffIds.includes(viewer.id)
  );
}

function visibilityFilter(viewer: Viewer): Filter<EventDoc> {
  if (viewer.role === 'admin') return { deletedAt: null };
  return { deletedAt: null, $or: [{ status: 'published' }, { organizerId: viewer.id }, { staffIds: viewer.id }] };
}

export class MongoEvents implements EventRepository {
  readonly target: LoggedCollection<EventDoc>;
  private readonly bookings: Collection<BookingDoc>;
  private readonly checkins: Collection<CheckinDoc>;
  /** The seat-count snapshot's recounts (bookings schedule them; `findById` waits for them). */
  readonly recounts: Recounts;

  constructor(
    private readonly context: StoreContext,
    private readonly ticketKeys: MongoTicketKeys,
  ) {
    this.target = context.changeLog.register({
      collection: context.db.collection<EventDoc>(COLLECTIONS.events),
      toChange: (doc) => changeOf.event(toEventRow(doc)),
    });
    this.bookings = context.db.collection<BookingDoc>(COLLECTIONS.bookings);
    this.checkins = context.db.collection<CheckinDoc>(COLLECTIONS.checkins);
    this.recounts = new Recounts(context, this.target, this.bookings);
  }

  get events(): Collection<EventDoc> {
    return this.target.collection;
  }

  /** The live document, read by `_id` alone (the one filter FerretDB answers from its primary key). */
  /**
   * Events with the retention setting, filtered here by their end: the few that have it are read
   * (with a range on a computed instant, every event would be scanned on FerretDB anyway).
   */
  async dueForErasure(nowMs: number, limit: number): Promise<string[]> {
    const docs = await this.events
      .find(
        { eraseAttendeesAfterDays: { $gte: 1 }, deletedAt: null },
        { projection: { _id: 1, endsAtMs: 1, eraseAttendeesAfterDays: 1 } },
      )
      .toArray();
    return docs
      .filter((doc) => doc.endsAtMs + (doc.eraseAttendeesAfterDays ?? 0) * 86_400_000 <= nowMs)
      .map((doc) => doc._id)
      .sort()
      .slice(0, Math.max(0, Math.floor(limit)));
  }

  async liveDoc(id: string): Promise<EventDoc | null> {
    const doc = await this.events.findOne({ _id: id });
    return doc && !doc.deletedAt ? doc : null;
  }

  async insert(row: Omit<EventRow, 'rev'>, firstKey: Omit<TicketKeyRow, 'rev'>): Promise<EventRow> {
    const stored = await this.context.changeLog.insertAndLog(this.target, {
      _id: row.id,
      ...withoutId(row),
      mailPending: [],
      seatPeaks: peaksOf(row.capacity, row.ticketTypes),
    });
    await this.ticketKeys.insert(firstKey);
    return toEventRow(stored);
  }

  async findById(id: string): Promise<EventRow | null> {
    await this.recounts.settled(id);
    const doc = await this.liveDoc(id);
    return doc ? toEventRow(doc) : null;
  }

  async findVisible(id: string, viewer: Viewer): Promise<EventRow | null> {
    const row = await this.findById(id);
    return row && visibleTo(row, viewer) ? row : null;
  }

  async list(
    viewer: Viewer,
    filter: EventListFilter,
    after: After<string> | undefined,
    limit: number,
  ): Promise<EventRow[]> {
    const and: Filter<EventDoc>[] = [visibilityFilter(viewer)];
    if (after) and.push(afterKey<EventDoc>('createdAt', 1, after));
    if (filter.status) and.push({ status: filter.status });
    if (filter.endsFromMs !== undefined) and.push({ endsAtMs: { $gte: filter.endsFromMs } });
    if (filter.startsBeforeMs !== undefined) and.push({ startsAtMs: { $lt: filter.startsBeforeMs } });
    if (filter.q) {
      const pattern = new RegExp(foldingPattern(filter.q), 'i');
      and.push({ $or: [{ title: pattern }, { venue: pattern }, { description: pattern }] });
    }
    const docs = await this.events
      .find({ $and: and })
      .sort({ createdAt: 1, _id: 1 })
      .limit(limit + 1)
      .toArray();
    return docs.map(toEventRow);
  }

  async accessibleIds(viewer: Viewer): Promise<string[]> {
    let filter: Filter<EventDoc>;
    if (viewer.role === 'admin') filter = { deletedAt: null };
    else if (viewer.role === 'organizer') {
      filter = { deletedAt: null, $or: [{ organizerId: viewer.id }, { staffIds: viewer.id }] };
    } else if (viewer.role === 'staff') filter = { deletedAt: null, staffIds: viewer.id };
    else return [];
    const docs = await this.events.find(filter, { projection: { _id: 1 } }).toArray();
    return docs.map((doc) => doc._id);
  }

  /**
   * Optimistic concurrency on `rev`: the edit is computed from the row and its seat counts as
   * read, and written only if the row is still at that rev; otherwise read again and retried. Mail
   * hand-off items join `mailPending` in the same write; a raised limit raises its seat peak there too.
   */
  async update(id: string, edit: EventEdit): Promise<EventRow | null> {
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      const doc = await this.liveDoc(id);
      if (!doc) return null;
      const counts = await countSeats(this.bookings, id);
      const row = toEventRow(doc);
      const change = edit(row, counts);
      if (!change) return row;
      // A field the edit leaves `undefined` is not part of it (the driver would store null).
      const set = Object.fromEntries(Object.entries(change.set).filter(([, value]) => value !== undefined));
      const update: UpdateFilter<EventDoc> = {
        $set: { ...set, bookedCount: counts.booked, typeSold: counts.byType },
      };
      const peaks = this.raisedPeaks(doc, change.set);
      if (peaks) update.$max = peaks;
      if (change.mail.length > 0) {
        update.$addToSet = { mailPending: { $each: change.mail } };
        // The rev this write gives the row: the condition below pins it.
        update.$max = { ...(update.$max ?? {}), mailRev: doc.rev + 1 };
        // A hand-off already waiting keeps its age.
        update.$min = { mailSince: new Date() };
      }
      const updated = await this.context.changeLog.updateAndLog(
        this.target,
        id,
        update,
        fieldsEqual<EventDoc>({ rev: doc.rev, deletedAt: null }),
      );
      if (updated) return toEventRow(updated);
    }
    throw new GatehouseError('CONFLICT', 'The event is changing too fast; try again');
  }

  /** `$max` of each limit the edit sets, so a peak only ever rises; none for an event written before peaks. */
  private raisedPeaks(doc: EventDoc, set: Partial<EventRow>): Record<string, number> | null {
    if (!doc.seatPeaks || (set.capacity === undefined && set.ticketTypes === undefined)) return null;
    const peaks: Record<string, number> = {};
    if (set.capacity !== undefined) peaks['seatPeaks.all'] = set.capacity;
    for (const type of set.ticketTypes ?? []) peaks[`seatPeaks.${scopeKeyOfType(type.id)}`] = type.quota;
    return peaks;
  }

  /**
   * Raises seat peaks (`$max`) without a new version: they are the server's own bookkeeping, not
   * part of the event devices see. Under the row lock where updates are not isolated, like every
   * write of the row.
   */
  async raisePeaks(id: string, peaks: Record<string, number>): Promise<void> {
    const max: Record<string, number> = {};
    for (const [key, value] of Object.entries(peaks)) max[`seatPeaks.${key}`] = value;
    await updateWhere(this.context, this.events, id, null, { $max: max });
  }

  async setStaff(id: string, staffIds: string[], at: string): Promise<EventRow | null> {
    const doc = await this.context.changeLog.updateAndLog(
      this.target,
      id,
      { $set: { staffIds, updatedAt: at } },
      fieldsEqual<EventDoc>({ deletedAt: null }),
    );
    return doc ? toEventRow(doc) : null;
  }

  async remove(id: string, at: string): Promise<boolean> {
    const doc = await this.context.changeLog.updateAndLog(
      this.target,
      id,
      { $set: { deletedAt: at, updatedAt: at } },
      fieldsEqual<EventDoc>({ deletedAt: null }),
    );
    return doc !== null;
  }

  seatCounts(id: string): Promise<SeatCounts> {
    return countSeats(this.bookings, id);
  }

  /**
   * Seat totals from one `$group` over the event's bookings; scans from one streamed pass
   * (projection only), each with its booking's ticket type — no `$facet` or `$lookup`, which
   * FerretDB lacks.
   */
  async statsFacts(id: string): Promise<EventStatsFacts> {
    const groups = await this.bookings
      .aggregate<SeatGroup>([
        { $match: { eventId: id } },
        { $group: { _id: { ticketTypeId: '$ticketTypeId', status: '$status' }, seats: { $sum: '$quantity' } } },
      ])
      .toArray();
    const scans = await this.checkins
      .find({ eventId: id }, { projection: { bookingId: 1, gate: 1, direction: 1, voids: 1, scannedAt: 1, hlc: 1 } })
      .toArray();
    const bookingIds = [...new Set(scans.map((scan) => scan.bookingId))];
    const bookingOf = new Map<string, { ticketTypeId: string; status: 'confirmed' | 'cancelled' }>();
    for (let start = 0; start < bookingIds.length; start += ID_CHUNK) {
      const rows = await this.bookings
        .find(
          { eventId: id, _id: { $in: bookingIds.slice(start, start + ID_CHUNK) } },
          { projection: { ticketTypeId: 1, status: 1 } },
        )
        .toArray();
      for (const row of rows) bookingOf.set(row._id, { ticketTypeId: row.ticketTypeId, status: row.status });
    }
    return {
      seats: groups.map((group) => ({
        ticketTypeId: group._id.ticketTypeId,
        status: group._id.status,
        seats: group.seats,
      })),
      scans: scans.map((scan) => ({
        id: scan._id,
        hlc: scan.hlc,
        bookingId: scan.bookingId,
        ticketTypeId: bookingOf.get(scan.bookingId)?.ticketTypeId ?? null,
        bookingStatus: bookingOf.get(scan.bookingId)?.status ?? null,
        gate: scan.gate,
        direction: scan.direction,
        voids: scan.voids,
        scannedAt: scan.scannedAt,
      })),
    };
  }
}
