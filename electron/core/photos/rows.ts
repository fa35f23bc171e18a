import type Database from 'better-sqlite3';
import type { Booking, Event } from '@gatehouse/protocol';

/** A photo the fetcher should get: the booking, and the photo it names now. */
export type DuePhoto = { bookingId: string; photoId: string; storedPhotoId: string | null; attempts: number };

/**
 * What the door knows of a booking's photo without the network: `ready` (the bytes of the photo
 * the booking names are here), `notDownloaded` (it names one whose bytes have not arrived, or an
 * older one is all that is here), `missing` (it names none).
 */
export type PhotoState = 'ready' | 'notDownloaded' | 'missing';

type RowRecord = { booking_id: string; photo_id: string; stored_photo_id: string | null; attempts: number };

/**
 * The `photos` table (device migration 013): which bookings name a photo, and the bytes of those
 * fetched. Kept in step by the pull (`noteBooking`, `purgeEvent`, called inside the pull's own
 * transaction), so a booking's photo row changes with the booking row or not at all. A booking
 * without a photo costs the pull nothing: a row is deleted only for a booking known to have one
 * (`held`, loaded once). An initial sync stores no photo rows at all: they are entered afterwards
 * in chunks (`fillChunk`, by the photo fetcher), so a thousand photos do not slow the download of
 * the rows the door needs first.
 */
export class PhotoRows {
  private held: Set<string> | null = null;
  private readonly upsert;
  private readonly remove;
  private readonly removeEvent;
  private readonly allHeld;
  private readonly dueRows;
  private readonly nextDue;
  private readonly saveBytes;
  private readonly later;
  private readonly stateOf;
  private readonly bytesOf;
  private readonly fillRange;
  private readonly lastBookingRowid;
  private readonly eventDocs;

  constructor(private readonly db: Database.Database) {
    this.upsert = db.prepare<{ id: string; eventId: string; photoId: string; required: number }>(
      `INSERT INTO photos (booking_id, event_id, photo_id, required) VALUES (@id, @eventId, @photoId, @required)
       ON CONFLICT (booking_id) DO UPDATE SET event_id = excluded.event_id, required = excluded.required,
         photo_id = excluded.photo_id,
         attempts = CASE WHEN photo_id IS excluded.photo_id THEN attempts ELSE 0 END,
         next_attempt_at_ms = CASE WHEN photo_id IS excluded.photo_id THEN next_attempt_at_ms ELSE 0 END`,
    );
    this.remove = db.prepare<[string]>('DELETE FROM photos WHERE booking_id = ?');
    this.removeEvent = db.prepare<[string]>('DELETE FROM photos WHERE event_id = ?');
    this.allHeld = db.prepare<[], { booking_id: string }>('SELECT booking_id FROM photos');
    this.dueRows = db.prepare<[number, number], RowRecord>(
      `SELECT booking_id, photo_id, stored_photo_id, attempts FROM photos
       WHERE stored_photo_id IS NOT photo_id AND next_attempt_at_ms <= ?
       ORDER BY required DESC, next_attempt_at_ms, booking_id LIMIT ?`,
    );
    this.nextDue = db.prepare<[], { at: number | null }>(
      'SELECT min(next_attempt_at_ms) AS at FROM photos WHERE stored_photo_id IS NOT photo_id',
    );
    this.saveBytes = db.prepare<{ id: string; photoId: string; contentType: string; bytes: Buffer }>(
      `UPDATE photos SET stored_photo_id = @photoId, content_type = @contentType, bytes = @bytes,
         attempts = 0, next_attempt_at_ms = 0, last_error = NULL
       WHERE booking_id = @id`,
    );
    this.later = db.prepare<{ id: string; atMs: number; error: string | null }>(
      `UPDATE photos SET attempts = attempts + 1, next_attempt_at_ms = @atMs, last_error = @error
       WHERE booking_id = @id`,
    );
    this.stateOf = db.prepare<[string], { photo_id: string; stored_photo_id: string | null }>(
      'SELECT photo_id, stored_photo_id FROM photos WHERE booking_id = ?',
    );
    this.fillRange = db.prepare<{ after: number; until: number; required: string }>(
      `INSERT INTO photos (booking_id, event_id, photo_id, required)
       SELECT id, event_id, json_extract(doc, '$.photoId'),
         json_extract(doc, '$.ticketTypeId') IN (SELECT value FROM json_each(@required))
       FROM bookings WHERE rowid > @after AND rowid <= @until AND json_extract(doc, '$.photoId') IS NOT NULL
       ON CONFLICT (booking_id) DO UPDATE SET event_id = excluded.event_id, required = excluded.required,
         photo_id = excluded.photo_id,
         attempts = CASE WHEN photo_id IS excluded.photo_id THEN attempts ELSE 0 END,
         next_attempt_at_ms = CASE WHEN photo_id IS excluded.photo_id THEN next_attempt_at_ms ELSE 0 END`,
    );
    this.lastBookingRowid = db.prepare<[], { last: number | null }>('SELECT max(rowid) AS last FROM bookings');
    this.eventDocs = db.prepare<[], { doc: string }>('SELECT doc FROM events WHERE doc IS NOT NULL');
    this.bytesOf = db.prepare<[string], { photo_id: string; content_type: string | null; bytes: Buffer | null }>(
      'SELECT photo_id, content_type, bytes FROM photos WHERE booking_id = ? AND stored_photo_id IS photo_id',
    );
  }

  /**
   * Runs `work` in a transaction; if it rolls back, the cache of which bookings have a photo row is
   * dropped with it (reloaded when next needed), so it never outlives the rows it describes.
   */
  inTransaction<T>(work: () => T): T {
    try {
      return this.db.transaction(work)();
    } catch (error) {
      this.held = null;
      throw error;
    }
  }

  /**
   * Enters the photo rows of bookings stored without them (an initial sync defers them: see
   * `AccountStore.applyPullSlice`), bookings with rowid in (`afterRowid`, `afterRowid + size`].
   * Returns the rowid to continue after, or null when every booking has been seen. One chunk is a
   * few ms, so the caller can run it between scans.
   */
  fillChunk(afterRowid: number, size: number): number | null {
    const last = this.lastBookingRowid.get()?.last ?? 0;
    if (afterRowid >= last) return null;
    const required = new Set<string>();
    for (const row of this.eventDocs.all()) {
      for (const type of (JSON.parse(row.doc) as Event).ticketTypes) if (type.requiresPhoto) required.add(type.id);
    }
    const until = afterRowid + size;
    this.fillRange.run({ after: afterRowid, until, required: JSON.stringify([...required]) });
    this.held = null;
    return until >= last ? null : until;
  }

  private heldIds(): Set<string> {
    this.held ??= new Set(this.allHeld.all().map((row) => row.booking_id));
    return this.held;
  }

  /**
   * A booking row as the pull stored it (`doc` null: deleted). A changed photo id is due again; a
   * photo taken off the booking (or the booking gone) takes its row and bytes with it.
   * `requiresPhoto` says whether the booking's ticket type asks for one, to fetch those first.
   */
  noteBooking(id: string, eventId: string, doc: Booking | null, requiresPhoto: (booking: Booking) => boolean): void {
    const photoId = doc?.photoId ?? null;
    const held = this.heldIds();
    if (photoId) {
      this.upsert.run({ id, eventId, photoId, required: requiresPhoto(doc!) ? 1 : 0 });
      held.add(id);
    } else if (held.has(id)) {
      this.remove.run(id);
      held.delete(id);
    }
  }

  /** The event's bucket was removed from this device: its photos go with its bookings. */
  purgeEvent(eventId: string): void {
    if (this.removeEvent.run(eventId).changes > 0) this.held = null;
  }

  /** Photos to fetch now, those whose ticket type requires one first. */
  due(nowMs: number, limit: number): DuePhoto[] {
    return this.dueRows.all(nowMs, limit).map((row) => ({
      bookingId: row.booking_id,
      photoId: row.photo_id,
      storedPhotoId: row.stored_photo_id,
      attempts: row.attempts,
    }));
  }

  /** When the next photo waiting for a retry is due (ms), or null when none waits. */
  nextDueAtMs(): number | null {
    return this.nextDue.get()?.at ?? null;
  }

  /** Keeps fetched bytes under the id they hash to (the booking may name a newer one meanwhile). */
  store(bookingId: string, photoId: string, contentType: string, bytes: Buffer): void {
    this.saveBytes.run({ id: bookingId, photoId, contentType, bytes });
  }

  /** A fetch that did not bring the photo: try again at `atMs`. */
  retryAt(bookingId: string, atMs: number, error: string | null): void {
    this.later.run({ id: bookingId, atMs, error });
  }

  /** For the verdict: one primary-key read, no bytes. */
  stateFor(booking: Booking): PhotoState {
    if (!booking.photoId) return 'missing';
    const row = this.stateOf.get(booking.id);
    return row && row.photo_id === booking.photoId && row.stored_photo_id === row.photo_id ? 'ready' : 'notDownloaded';
  }

  /** The bytes of the photo the booking names, when they are here. */
  bytesFor(bookingId: string): { photoId: string; contentType: string; bytes: Buffer } | null {
    const row = this.bytesOf.get(bookingId);
    return row?.bytes
      ? { photoId: row.photo_id, contentType: row.content_type ?? 'image/webp', bytes: row.bytes }
      : null;
  }
}

/** Whether the booking's ticket type, in the event as this device holds it, requires a photo. */
export function ticketTypeRequiresPhoto(event: Event | null, ticketTypeId: string): boolean {
  return event?.ticketTypes.some((type) => type.id === ticketTypeId && type.requiresPhoto === true) ?? false;
}
