import { GatehouseError, truncateText } from '@gatehouse/protocol';
import { storeErrors } from '../errors';
import type { NewBooking } from '../port';
import { searchTermsOf } from '../search-words';
import type { MongoBookings } from './bookings';
import type { InsertBatch } from './changelog';
import type { StoreContext } from './context';
import type { BookingDoc } from './documents';
import type { MongoEvents } from './events';
import { findByIds } from './queries';
import type { Recounts } from './recounts';
import type { SeatLedger } from './seats';

/** An imported code that another booking of the event has (errors.ts has no entry for it; the SQLite adapter says the same). */
function codeTaken(code: string): GatehouseError {
  return new GatehouseError('CONFLICT', `Booking code ${truncateText(code, 64)} is already used in this event`);
}

/** BookingRepository.importMany on MongoDB (MongoBookings.importMany). */
export class MongoBulkBookings {
  constructor(
    private readonly context: StoreContext,
    private readonly owner: MongoBookings,
    private readonly events: MongoEvents,
    private readonly seats: SeatLedger,
    private readonly recounts: Recounts,
  ) {}

  /**
   * A bulk import: limits are not enforced, ids that exist are skipped, and a code taken within the
   * event refuses the whole import. Seats are held first (above every slot in use, see
   * SeatLedger.importHolds), then the bookings go in as one unordered insert; only when no code
   * clashed are they logged — a clash deletes them again, before anyone was told of them. The
   * event's counts are recounted once at the end: one event version for the whole import.
   */
  async run(eventId: string, rows: Array<NewBooking & { code: string }>): Promise<number> {
    const event = await this.events.liveDoc(eventId);
    if (!event) throw storeErrors.eventNotFound();
    const types = new Set(event.ticketTypes.map((type) => type.id));
    const unique = new Map<string, NewBooking & { code: string }>();
    const codes = new Set<string>();
    for (const row of rows) {
      if (unique.has(row.id)) continue;
      if (!types.has(row.ticketTypeId)) throw storeErrors.unknownTicketType(row.ticketTypeId);
      if (codes.has(row.code)) throw codeTaken(row.code);
      codes.add(row.code);
      unique.set(row.id, row);
    }
    const candidates = [...unique.values()];
    if (candidates.length === 0) return 0;
    const seats = await this.seats.importHolds(
      event,
      candidates.map((row) => ({ bookingId: row.id, ticketTypeId: row.ticketTypeId, quantity: row.quantity })),
      (peaks) => this.events.raisePeaks(eventId, peaks),
    );
    const allSeats = [...seats.values()].flat();
    await this.recounts.owe(eventId);
    let added = 0;
    let batch: InsertBatch<BookingDoc> | null = null;
    try {
      batch = await this.context.changeLog.insertMany(
        this.owner.target,
        candidates.map((row) => ({
          _id: row.id,
          eventId,
          userId: row.userId,
          ticketTypeId: row.ticketTypeId,
          quantity: row.quantity,
          attendee: row.attendee,
          status: 'confirmed' as const,
          source: row.source,
          overCapacity: false,
          code: row.code,
          createdAt: row.createdAt,
          cancelledAt: null,
          searchTerms: searchTermsOf(row.attendee, row.code),
          mailPending: [],
        })),
      );
      const refused = batch.duplicates.map((index) => candidates[index]!);
      const existing = new Set(
        (
          await findByIds(
            this.owner.bookings,
            refused.map((row) => row.id),
            this.context.capabilities,
          )
        ).map((doc) => doc._id),
      );
      const clash = refused.find((row) => !existing.has(row.id));
      if (clash) {
        await batch.undo();
        throw codeTaken(clash.code);
      }
      await this.seats.release(refused.flatMap((row) => seats.get(row.id) ?? []));
      await batch.log();
      await this.seats.confirm(batch.inserted.flatMap((doc) => seats.get(doc._id) ?? []));
      added = batch.inserted.length;
    } catch (error) {
      await batch?.abandon();
      await this.seats.release(allSeats);
      void this.recounts.schedule(eventId);
      throw error;
    }
    await this.recounts.schedule(eventId);
    return added;
  }
}
