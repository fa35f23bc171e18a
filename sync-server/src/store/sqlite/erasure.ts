import { ERASED_ATTENDEE_NAME, eventBucket } from '@gatehouse/protocol';
import type Database from 'better-sqlite3';
import { bookingPhotoBlobId } from '../blobs';
import { erasedAnswerBody, erasedAttendee, erasedBookingDoc } from '../erasure';
import type { ErasureInput } from '../port';
import type { AlertRow, BookingRow, ChangeRow } from '../rows';
import { changeOf } from '../wire';
import { toAlertRow, type AlertRecord } from './alerts';
import { bookingTermsOf, searchTermsColumn, type SqliteBookings } from './bookings';
import type { ChangeLog } from './changes';
import type { SqliteDatabase } from './database';

/** What a mail record's recipient reads once erased (the column is NOT NULL; an admin sees why it is empty). */
export const ERASED_ADDRESS = '(erased)';

/**
 * Personal-data erasure of one booking (BookingRepository.erase) in one transaction: the booking,
 * its search words, its earlier change-log entries, its alerts, its mail and its Idempotency-Key
 * answers, each found by an index (migration 011).
 */
export class SqliteErasure {
  private readonly updateBooking: Database.Statement<[string, string, number, string, string]>;
  private readonly removeWord: Database.Statement<[string, string, string]>;
  private readonly addWord: Database.Statement<[string, string, string]>;
  private readonly logged: Database.Statement<[string, string, string], { seq: number; doc: string | null }>;
  private readonly rewriteLogged: Database.Statement<[string, string, number]>;
  private readonly alertsOf: Database.Statement<[string], AlertRecord>;
  private readonly updateAlert: Database.Statement<[string, number, string]>;
  private readonly scrubMail: Database.Statement<[string, string, string]>;
  private readonly dropHandoff: Database.Statement<[string]>;
  private readonly answersOf: Database.Statement<[string], { key: string; answer_body: string }>;
  private readonly rewriteAnswer: Database.Statement<[string, string]>;
  private readonly dropPhoto: Database.Statement<[string]>;
  private readonly notErased: Database.Statement<[string, number], { id: string }>;

  constructor(
    private readonly database: SqliteDatabase,
    private readonly changes: ChangeLog,
    private readonly bookings: SqliteBookings,
  ) {
    const { db } = database;
    this.updateBooking = db.prepare(
      `UPDATE bookings SET attendee_name = ?, attendee_email = NULL, photo_id = NULL, erased_at = ?, rev = ?,
         search_terms = ? WHERE id = ?`,
    );
    this.removeWord = db.prepare('DELETE FROM booking_words WHERE event_id = ? AND term = ? AND booking_id = ?');
    this.addWord = db.prepare('INSERT OR IGNORE INTO booking_words (event_id, term, booking_id) VALUES (?, ?, ?)');
    this.logged = db.prepare('SELECT seq, doc FROM changes WHERE bucket = ? AND id = ? AND type = ?');
    this.rewriteLogged = db.prepare('UPDATE changes SET doc = ? WHERE bucket = ? AND seq = ?');
    this.alertsOf = db.prepare('SELECT * FROM alerts WHERE booking_id = ?');
    this.updateAlert = db.prepare('UPDATE alerts SET message = ?, rev = ? WHERE id = ?');
    // A message not sent yet is never sent now: it would go to no one, about no one.
    this.scrubMail = db.prepare(
      `UPDATE mail SET to_address = ?, to_name = ?, html = '', text = '', ics = NULL, qr_token = NULL,
         last_error = NULL, lease_owner = NULL, lease_until_ms = NULL,
         status = CASE WHEN status IN ('pending', 'dead') THEN 'discarded' ELSE status END
       WHERE booking_id = ?`,
    );
    this.dropPhoto = db.prepare('DELETE FROM blobs WHERE id = ?');
    this.dropHandoff = db.prepare(`DELETE FROM mail_handoffs WHERE kind = 'booking' AND row_id = ?`);
    this.answersOf = db.prepare(
      'SELECT key, answer_body FROM idempotency_claims WHERE resource_id = ? AND answer_body IS NOT NULL',
    );
    this.rewriteAnswer = db.prepare('UPDATE idempotency_claims SET answer_body = ? WHERE key = ?');
    this.notErased = db.prepare(
      'SELECT id FROM bookings WHERE event_id = ? AND erased_at IS NULL ORDER BY created_at, id LIMIT ?',
    );
  }

  erase(id: string, input: ErasureInput): { row: BookingRow; changed: boolean } | null {
    const current = this.bookings.find(id);
    if (!current) return null;
    if (current.erasedAt !== null) return { row: current, changed: false };
    const row: BookingRow = {
      ...current,
      attendee: erasedAttendee(),
      photoId: null,
      erasedAt: input.at,
      rev: current.rev + 1,
    };
    const bucket = eventBucket(row.eventId);

    for (const term of bookingTermsOf(current.attendee, current.code)) this.removeWord.run(row.eventId, term, id);
    const terms = bookingTermsOf(row.attendee, row.code);
    for (const term of terms) this.addWord.run(row.eventId, term, id);
    this.updateBooking.run(ERASED_ATTENDEE_NAME, input.at, row.rev, searchTermsColumn(terms), id);
    this.dropPhoto.run(bookingPhotoBlobId(id));
    this.scrubLogged(bucket, 'booking', id, erasedBookingDoc);
    this.changes.append(changeOf.booking(row));

    for (const record of this.alertsOf.all(id)) {
      const alert = toAlertRow(record);
      const message = input.alertText(alert);
      if (message === alert.message) continue;
      const next: AlertRow = { ...alert, message, rev: alert.rev + 1 };
      this.updateAlert.run(message, next.rev, alert.id);
      this.scrubLogged(bucket, 'alert', alert.id, (doc) =>
        typeof doc === 'object' && doc !== null ? { ...doc, message } : doc,
      );
      this.changes.append(changeOf.alert(next));
    }

    this.scrubMail.run(ERASED_ADDRESS, ERASED_ATTENDEE_NAME, id);
    this.dropHandoff.run(id);
    for (const claim of this.answersOf.all(id)) {
      const body = erasedAnswerBody(claim.answer_body);
      if (body !== claim.answer_body) this.rewriteAnswer.run(body, claim.key);
    }
    return { row, changed: true };
  }

  /** Rewrites every logged version of one row, keeping each at its seq (and its rev). */
  private scrubLogged(bucket: string, type: ChangeRow['type'], id: string, scrub: (doc: unknown) => unknown): void {
    for (const entry of this.logged.all(bucket, id, type)) {
      if (entry.doc === null) continue;
      const doc = JSON.parse(entry.doc) as unknown;
      const scrubbed = JSON.stringify(scrub(doc));
      if (scrubbed !== entry.doc) this.rewriteLogged.run(scrubbed, bucket, entry.seq);
    }
  }

  listNotErased(eventId: string, limit: number): string[] {
    return this.notErased.all(eventId, Math.max(0, Math.floor(limit))).map((row) => row.id);
  }
}
