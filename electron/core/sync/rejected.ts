import type { Db } from '../db/open';

/**
 * A change the server refused or overruled, with the guest and event it was about as the device
 * held them at the answer (null when the change named none, or the device did not hold it).
 */
export type RejectedMutation = {
  mutationId: string;
  name: string;
  code: string;
  message: string;
  at: string;
  guestName: string | null;
  eventTitle: string | null;
};

/** What `RejectedMutations.record` keeps of an answered outbox entry (sync/outbox.ts `TakenEntry`). */
export type AnsweredMutation = { name: string; args: string; hlc: string };

/**
 * Mutations the server refused or overruled, kept for the Sync screen (newest first, 200 at most),
 * each with the guest and event it named as this device held them when the answer came.
 */
export class RejectedMutations {
  private readonly insert;
  private readonly latestRows;
  private readonly remove;

  constructor(db: Db) {
    this.insert = db.prepare(
      `INSERT OR REPLACE INTO rejected_mutations (id, name, args, code, message, at, hlc, guest_name, event_title)
       VALUES (@id, @name, @args, @code, @message, @at, @hlc,
         (SELECT json_extract(doc, '$.attendee.name') FROM bookings WHERE id = coalesce(json_extract(@args, '$.bookingId'),
           -- an acknowledgement names its alert, whose booking is the guest
           (SELECT json_extract(doc, '$.bookingId') FROM alerts WHERE id = json_extract(@args, '$.alertId')))),
         (SELECT json_extract(doc, '$.title') FROM events WHERE id = coalesce(json_extract(@args, '$.eventId'),
           (SELECT event_id FROM bookings WHERE id = json_extract(@args, '$.bookingId')))))`,
    );
    this.latestRows = db.prepare<[], RejectedMutation>(
      `SELECT id AS mutationId, name, code, message, at, guest_name AS guestName, event_title AS eventTitle
       FROM rejected_mutations ORDER BY at DESC LIMIT 200`,
    );
    this.remove = db.prepare('DELETE FROM rejected_mutations WHERE id = ?');
  }

  /** Keeps mutation `id` as refused (or overruled) with `code` and `message`, answered `at` (ISO, UTC). */
  record(id: string, mutation: AnsweredMutation, code: string, message: string, at: string): void {
    const { name, args, hlc } = mutation;
    this.insert.run({ id, name, args, code, message, at, hlc });
  }

  latest(): RejectedMutation[] {
    return this.latestRows.all();
  }

  dismiss(mutationId: string): void {
    this.remove.run(mutationId);
  }
}
