import { IDEMPOTENCY_KEY_TTL_HOURS } from '@gatehouse/protocol';
import type { Db, IndexSpecification, CreateIndexesOptions } from 'mongodb';
import type { MongoCapabilities } from './capabilities';
import { COLLECTIONS } from './documents';

type IndexDef = { collection: string; key: IndexSpecification; options?: CreateIndexesOptions; ttlSeconds?: number };

const LOGGED = [
  COLLECTIONS.events,
  COLLECTIONS.bookings,
  COLLECTIONS.checkins,
  COLLECTIONS.alerts,
  COLLECTIONS.refusals,
  COLLECTIONS.ticketKeys,
  COLLECTIONS.users,
];

/** Every index the adapter's queries rely on, in one place. */
const INDEXES: IndexDef[] = [
  { collection: COLLECTIONS.events, key: { createdAt: 1, _id: 1 } },
  { collection: COLLECTIONS.events, key: { organizerId: 1, startsAtMs: 1 } },
  { collection: COLLECTIONS.events, key: { staffIds: 1 } },
  { collection: COLLECTIONS.events, key: { status: 1, createdAt: 1, _id: 1 } },
  { collection: COLLECTIONS.events, key: { mailPending: 1 } },
  // The retention sweeper's events (dueForErasure); sparse in effect: most events have none.
  { collection: COLLECTIONS.events, key: { eraseAttendeesAfterDays: 1 } },
  // An erasure's scrubbing of one booking: its change-log entries, alerts, mail and kept answers.
  { collection: COLLECTIONS.changes, key: { bucket: 1, id: 1 } },
  { collection: COLLECTIONS.alerts, key: { bookingId: 1 } },
  { collection: COLLECTIONS.mail, key: { bookingId: 1 } },
  { collection: COLLECTIONS.idempotencyKeys, key: { resourceId: 1 } },
  { collection: COLLECTIONS.bookings, key: { eventId: 1, erasedAt: 1, createdAt: 1, _id: 1 } },
  { collection: COLLECTIONS.bookings, key: { eventId: 1, createdAt: 1, _id: 1 } },
  { collection: COLLECTIONS.bookings, key: { eventId: 1, code: 1 }, options: { unique: true } },
  { collection: COLLECTIONS.bookings, key: { eventId: 1, searchTerms: 1 } },
  { collection: COLLECTIONS.bookings, key: { userId: 1, createdAt: -1, _id: -1 } },
  { collection: COLLECTIONS.bookings, key: { mailPending: 1 } },
  // CSV import matching (booking-imports.ts): by external id, and by email.
  { collection: COLLECTIONS.bookings, key: { eventId: 1, externalId: 1 } },
  { collection: COLLECTIONS.bookings, key: { eventId: 1, 'attendee.email': 1 } },
  { collection: COLLECTIONS.checkins, key: { bookingId: 1, hlc: 1 } },
  { collection: COLLECTIONS.checkins, key: { eventId: 1, scannedAt: 1 } },
  // The check-in log export's pages, in door order.
  { collection: COLLECTIONS.checkins, key: { eventId: 1, hlc: 1, _id: 1 } },
  { collection: COLLECTIONS.alerts, key: { eventId: 1, createdAt: -1 } },
  { collection: COLLECTIONS.refusals, key: { eventId: 1, hlc: -1 } },
  { collection: COLLECTIONS.refusals, key: { eventId: 1, hlc: 1, _id: 1 } },
  { collection: COLLECTIONS.ticketKeys, key: { eventId: 1, createdAt: 1 } },
  { collection: COLLECTIONS.ticketKeys, key: { kid: 1 }, options: { unique: true } },
  { collection: COLLECTIONS.users, key: { email: 1 }, options: { unique: true } },
  { collection: COLLECTIONS.users, key: { createdAt: 1, _id: 1 } },
  { collection: COLLECTIONS.emailChanges, key: { userId: 1 } },
  { collection: COLLECTIONS.refreshTokens, key: { familyId: 1 } },
  { collection: COLLECTIONS.refreshTokens, key: { userId: 1 } },
  { collection: COLLECTIONS.refreshTokens, key: { expiresAt: 1 }, ttlSeconds: 7 * 24 * 3600 },
  { collection: COLLECTIONS.refreshTokenRotations, key: { at: 1 }, ttlSeconds: 60 * 24 * 3600 },
  { collection: COLLECTIONS.loginAttempts, key: { updatedAt: 1 }, ttlSeconds: 24 * 3600 },
  { collection: COLLECTIONS.devices, key: { userId: 1, firstSeenAt: 1, _id: 1 } },
  { collection: COLLECTIONS.devices, key: { firstSeenAt: 1, _id: 1 } },
  { collection: COLLECTIONS.mutations, key: { userId: 1, claimedAt: -1 } },
  { collection: COLLECTIONS.mutations, key: { deviceId: 1, claimedAt: -1 } },
  { collection: COLLECTIONS.changes, key: { bucket: 1, seq: 1 }, options: { unique: true } },
  { collection: COLLECTIONS.buckets, key: { updatedAt: 1 } },
  { collection: COLLECTIONS.logIntents, key: { coll: 1, at: 1 } },
  { collection: COLLECTIONS.seats, key: { bookingId: 1 } },
  { collection: COLLECTIONS.seats, key: { eventId: 1, scope: 1, slot: 1 } },
  { collection: COLLECTIONS.seats, key: { heldSince: 1 }, options: { sparse: true } },
  { collection: COLLECTIONS.recountsOwed, key: { at: 1 } },
  // Import progress records are pruned by age (import-progress.ts).
  { collection: COLLECTIONS.importProgress, key: { updatedAt: 1 } },
  {
    collection: COLLECTIONS.idempotencyKeys,
    key: { createdAt: 1 },
    ttlSeconds: IDEMPOTENCY_KEY_TTL_HOURS * 3600,
  },
  { collection: COLLECTIONS.mail, key: { status: 1, nextAttemptAt: 1 } },
  { collection: COLLECTIONS.mail, key: { status: 1, leaseUntil: 1 } },
  { collection: COLLECTIONS.mail, key: { createdAt: -1, _id: -1 } },
  { collection: COLLECTIONS.mail, key: { status: 1, createdAt: -1, _id: -1 } },
  // Claims are kept long past any lease, so a stale reader can never reuse a claim id.
  { collection: COLLECTIONS.mailClaims, key: { at: 1 }, ttlSeconds: 30 * 24 * 3600 },
];

/**
 * Creates every index (an existing one is a no-op). A TTL index where the database expires
 * documents; elsewhere (FerretDB) a plain one, and expired rows linger harmlessly because every
 * query checks expiry itself. `marksRows`: the sweep's `{logPending}` range (see ChangeLog).
 */
export async function ensureIndexes(db: Db, capabilities: MongoCapabilities, marksRows: boolean): Promise<void> {
  const all = [...INDEXES];
  if (marksRows) {
    for (const collection of LOGGED) all.push({ collection, key: { logPending: 1 }, options: { sparse: true } });
  }
  await Promise.all(
    all.map(async ({ collection, key, options, ttlSeconds }) => {
      const target = db.collection(collection);
      if (ttlSeconds !== undefined && capabilities.ttlIndexes) {
        try {
          await target.createIndex(key, { ...options, expireAfterSeconds: ttlSeconds });
          return;
        } catch {
          // An older plain index on the same key, or a database without TTL: keep a plain one.
        }
      }
      await target.createIndex(key, options ?? {});
    }),
  );
}
