import { ERASED_ATTENDEE_NAME, eventBucket } from '@gatehouse/protocol';
import type { Collection } from 'mongodb';
import { bookingPhotoBlobId } from '../blobs';
import { erasedAnswerBody, erasedAttendee } from '../erasure';
import { ImportClaims } from './import-claims';
import { MongoBlobs } from './blobs';
import type { ErasureInput } from '../port';
import type { BookingRow } from '../rows';
import { searchTermsOf } from '../search-words';
import type { ChangeDoc, LoggedCollection } from './changelog';
import { fieldsEqual } from './conditional';
import type { StoreContext } from './context';
import {
  BOOKING_LIST_PROJECTION,
  COLLECTIONS,
  toAlertRow,
  toBookingRow,
  type AlertDoc,
  type BookingDoc,
} from './documents';
import type { IdempotencyDoc } from './idempotency';

/** What a mail record's recipient reads once erased (as the SQLite adapter writes it). */
const ERASED_ADDRESS = '(erased)';

type ErasableMail = {
  _id: string;
  bookingId: string | null;
  status: string;
  to: string;
  toName: string;
  html: string;
  text: string;
  ics: string | null;
  qrToken: string | null;
  lastError: string | null;
};

/**
 * Personal-data erasure of one booking on MongoDB (BookingRepository.erase). Without transactions
 * it is a sequence of steps, each harmless to repeat: the booking first (its erased version
 * logged, so devices replace theirs), then the scrubbing of what else holds the data — the
 * booking's earlier change-log entries, its alerts and theirs, its mail, its kept Idempotency-Key
 * answers. A repeated erasure (`changed: false`) runs the scrubbing again, so one cut off by a
 * crash is finished by its retry; the alert texts are rebuilt from their shape, not from the name,
 * which by then is gone.
 */
export class MongoErasure {
  private readonly changes: Collection<ChangeDoc>;
  private readonly mail: Collection<ErasableMail>;
  private readonly answers: Collection<IdempotencyDoc>;
  private readonly blobs: MongoBlobs;
  private readonly claims: ImportClaims;

  constructor(
    private readonly context: StoreContext,
    private readonly bookings: LoggedCollection<BookingDoc>,
    private readonly alerts: LoggedCollection<AlertDoc>,
  ) {
    this.changes = context.changeLog.changes;
    this.mail = context.db.collection<ErasableMail>(COLLECTIONS.mail);
    this.answers = context.db.collection<IdempotencyDoc>(COLLECTIONS.idempotencyKeys);
    this.blobs = new MongoBlobs(context);
    this.claims = new ImportClaims(context);
  }

  async erase(id: string, input: ErasureInput): Promise<{ row: BookingRow; changed: boolean } | null> {
    const current = await this.bookings.collection.findOne({ _id: id }, { projection: BOOKING_LIST_PROJECTION });
    if (!current) return null;
    let row = toBookingRow(current);
    let changed = false;
    if (row.erasedAt === null) {
      await this.claims.forget(row);
      const attendee = erasedAttendee();
      const erased = await this.context.changeLog.updateAndLog(
        this.bookings,
        id,
        {
          $set: {
            attendee,
            erasedAt: input.at,
            searchTerms: searchTermsOf(attendee, row.code),
            mailPending: [],
          },
          $unset: { mailSince: '', photoId: '' },
        },
        fieldsEqual<BookingDoc>({ erasedAt: null }),
      );
      if (erased) {
        row = toBookingRow(erased);
        changed = true;
      } else {
        // Another erasure won the race: answer what it wrote, and scrub all the same.
        const now = await this.bookings.collection.findOne({ _id: id }, { projection: BOOKING_LIST_PROJECTION });
        if (now) row = toBookingRow(now);
      }
    }
    await this.scrub(row, input);
    return { row, changed };
  }

  private async scrub(row: BookingRow, input: ErasureInput): Promise<void> {
    const bucket = eventBucket(row.eventId);
    await this.blobs.delete(bookingPhotoBlobId(row.id));
    await this.changes.updateMany(
      { bucket, id: row.id, type: 'booking', doc: { $ne: null } },
      { $set: { 'doc.attendee': erasedAttendee() } },
    );
    for (const doc of await this.alerts.collection.find({ bookingId: row.id }).toArray()) {
      const alert = toAlertRow(doc);
      const message = input.alertText(alert);
      if (message !== alert.message) {
        await this.context.changeLog.updateAndLog(this.alerts, alert.id, { $set: { message } });
      }
      await this.changes.updateMany(
        { bucket, id: alert.id, type: 'alert', doc: { $ne: null } },
        { $set: { 'doc.message': message } },
      );
    }
    // A message not sent yet is never sent now: it would go to no one, about no one.
    await this.mail.updateMany(
      { bookingId: row.id, status: { $in: ['pending', 'dead'] } },
      { $set: { status: 'discarded' } },
    );
    await this.mail.updateMany(
      { bookingId: row.id },
      {
        $set: {
          to: ERASED_ADDRESS,
          toName: ERASED_ATTENDEE_NAME,
          html: '',
          text: '',
          ics: null,
          qrToken: null,
          lastError: null,
        },
      },
    );
    const kept = await this.answers
      .find({ $or: [{ resourceId: row.id }, { bookingId: row.id }], answer: { $exists: true } })
      .toArray();
    for (const claim of kept) {
      if (!claim.answer) continue;
      const body = erasedAnswerBody(claim.answer.body);
      if (body !== claim.answer.body) {
        await this.answers.updateOne({ _id: claim._id }, { $set: { 'answer.body': body } });
      }
    }
  }

  async listNotErased(eventId: string, limit: number): Promise<string[]> {
    const docs = await this.bookings.collection
      .find({ eventId, erasedAt: null }, { projection: { _id: 1 } })
      .sort({ createdAt: 1, _id: 1 })
      .limit(Math.max(0, Math.floor(limit)))
      .toArray();
    return docs.map((doc) => doc._id);
  }
}
