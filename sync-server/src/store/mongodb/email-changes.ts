import { GatehouseError } from '@gatehouse/protocol';
import type { Collection } from 'mongodb';
import type { EmailChangeOutcome, EmailChangeRepository, EmailChangeRow } from '../port';
import type { StoreContext } from './context';
import { COLLECTIONS } from './documents';
import { isDuplicateKeyError } from './errors';
import type { MongoUsers } from './users';

/** `_id` is the code's hash, so a confirm reads by `_id` (FerretDB scans for anything else). */
type EmailChangeDoc = {
  _id: string;
  userId: string;
  newEmail: string;
  requestedAt: string;
  expiresAt: Date;
  usedAt: Date | null;
};

/** A code used once: `_id` is its hash. The unique `_id` makes the use single. */
type ClaimDoc = { _id: string; at: Date };

function toRow(doc: EmailChangeDoc): EmailChangeRow {
  return {
    userId: doc.userId,
    newEmail: doc.newEmail,
    tokenHash: doc._id,
    requestedAt: doc.requestedAt,
    expiresAtMs: doc.expiresAt.getTime(),
    usedAtMs: doc.usedAt ? doc.usedAt.getTime() : null,
  };
}

/**
 * Pending email changes. A code is spent by inserting its claim document: of two confirms of one
 * code exactly one insert succeeds, on MongoDB and on FerretDB alike (whose updates are not
 * isolated, so a conditional update could let both through). A change whose new email turned out
 * to be taken gives its claim back, so the code can be tried again once the address is free.
 */
export class MongoEmailChanges implements EmailChangeRepository {
  private readonly changes: Collection<EmailChangeDoc>;
  private readonly claims: Collection<ClaimDoc>;

  constructor(
    context: StoreContext,
    private readonly users: MongoUsers,
  ) {
    this.changes = context.db.collection<EmailChangeDoc>(COLLECTIONS.emailChanges);
    this.claims = context.db.collection<ClaimDoc>(COLLECTIONS.emailChangeClaims);
  }

  async request(row: Omit<EmailChangeRow, 'usedAtMs'>): Promise<void> {
    // One pending change per user: the earlier ones (and their claims) go, so their codes stop working.
    const earlier = await this.changes.find({ userId: row.userId }, { projection: { _id: 1 } }).toArray();
    const ids = earlier.map((doc) => doc._id);
    if (ids.length > 0) {
      await this.claims.deleteMany({ _id: { $in: ids } });
      await this.changes.deleteMany({ _id: { $in: ids } });
    }
    await this.changes.insertOne({
      _id: row.tokenHash,
      userId: row.userId,
      newEmail: row.newEmail,
      requestedAt: row.requestedAt,
      expiresAt: new Date(row.expiresAtMs),
      usedAt: null,
    });
  }

  async pendingFor(userId: string): Promise<EmailChangeRow | null> {
    const doc = await this.changes.findOne({ userId, usedAt: null });
    return doc ? toRow(doc) : null;
  }

  async confirm(tokenHash: string, nowMs: number, at: string): Promise<EmailChangeOutcome> {
    const doc = await this.changes.findOne({ _id: tokenHash });
    if (!doc) return { kind: 'unknown' };
    if (doc.usedAt || (await this.claims.findOne({ _id: tokenHash }))) return { kind: 'used' };
    if (doc.expiresAt.getTime() <= nowMs) return { kind: 'expired' };
    const before = await this.users.findById(doc.userId);
    if (!before) return { kind: 'unknown' };
    const holder = await this.users.findByEmail(doc.newEmail);
    if (holder && holder.id !== doc.userId) return { kind: 'taken' };
    try {
      await this.claims.insertOne({ _id: tokenHash, at: new Date(nowMs) });
    } catch (error) {
      if (isDuplicateKeyError(error)) return { kind: 'used' };
      throw error;
    }
    let user;
    try {
      user = await this.users.setEmail(doc.userId, doc.newEmail, at);
    } catch (error) {
      if (!(error instanceof GatehouseError && error.code === 'EMAIL_TAKEN')) throw error;
      // Taken between the check and the write: the code was not spent.
      await this.claims.deleteOne({ _id: tokenHash });
      return { kind: 'taken' };
    }
    if (!user) return { kind: 'unknown' };
    await this.changes.updateOne({ _id: tokenHash }, { $set: { usedAt: new Date(nowMs) } });
    return { kind: 'applied', user, oldEmail: before.email };
  }
}
