import type { Collection } from 'mongodb';
import type { RotateOutcome, SessionRepository } from '../port';
import type { RefreshTokenRow } from '../rows';
import type { StoreContext } from './context';
import { COLLECTIONS } from './documents';
import { isDuplicateKeyError } from './errors';

/** A refresh token as stored: instants as Dates, for the TTL index on `expiresAt`. */
type RefreshTokenDoc = {
  /** SHA-256 of the token. */
  _id: string;
  familyId: string;
  userId: string;
  deviceId: string | null;
  createdAt: Date;
  expiresAt: Date;
  rotatedAt: Date | null;
  revokedAt: Date | null;
};

/** The claim of one token's rotation, by unique `_id` (the token hash). */
type RotationDoc = { _id: string; familyId: string; at: Date };

const toMs = (date: Date | null | undefined): number | null => (date ? date.getTime() : null);

function toRow(doc: RefreshTokenDoc): RefreshTokenRow {
  return {
    hash: doc._id,
    familyId: doc.familyId,
    userId: doc.userId,
    deviceId: doc.deviceId ?? null,
    createdAtMs: doc.createdAt.getTime(),
    expiresAtMs: doc.expiresAt.getTime(),
    rotatedAtMs: toMs(doc.rotatedAt),
    revokedAtMs: toMs(doc.revokedAt),
  };
}

function toDoc(row: RefreshTokenRow): RefreshTokenDoc {
  return {
    _id: row.hash,
    familyId: row.familyId,
    userId: row.userId,
    deviceId: row.deviceId,
    createdAt: new Date(row.createdAtMs),
    expiresAt: new Date(row.expiresAtMs),
    rotatedAt: row.rotatedAtMs === null ? null : new Date(row.rotatedAtMs),
    revokedAt: row.revokedAtMs === null ? null : new Date(row.revokedAtMs),
  };
}

/** Refresh-token families (RFC 9700 §4.14.2 rotation); the token itself is never stored. */
export class MongoSessions implements SessionRepository {
  private readonly tokens: Collection<RefreshTokenDoc>;
  private readonly rotations: Collection<RotationDoc>;

  constructor(private readonly context: StoreContext) {
    this.tokens = context.db.collection<RefreshTokenDoc>(COLLECTIONS.refreshTokens);
    this.rotations = context.db.collection<RotationDoc>(COLLECTIONS.refreshTokenRotations);
  }

  async insert(row: RefreshTokenRow): Promise<void> {
    await this.tokens.insertOne(toDoc(row));
  }

  async findByHash(hash: string): Promise<RefreshTokenRow | null> {
    const doc = await this.tokens.findOne({ _id: hash });
    return doc ? toRow(doc) : null;
  }

  /**
   * Of two concurrent uses of one token exactly one claims it. Where updates are isolated the claim
   * is the conditional `rotatedAt: null → now`; elsewhere (FerretDB applies a conditional update
   * without isolation) it is a unique insert into `refreshTokenRotations`, which has one winner there too.
   */
  async rotate(
    hash: string,
    nowMs: number,
    next: (previous: RefreshTokenRow) => RefreshTokenRow,
  ): Promise<RotateOutcome> {
    const now = new Date(nowMs);
    const existing = await this.tokens.findOne({ _id: hash });
    if (!existing || existing.revokedAt || existing.expiresAt.getTime() <= nowMs) return { kind: 'invalid' };
    if (existing.rotatedAt) return { kind: 'reused', familyId: existing.familyId };
    if (this.context.capabilities.isolatedUpdates) {
      const claimed = await this.tokens.findOneAndUpdate(
        { _id: hash, rotatedAt: null, revokedAt: null },
        { $set: { rotatedAt: now } },
      );
      if (!claimed) {
        const current = await this.tokens.findOne({ _id: hash });
        // Revoked meanwhile (and never exchanged) is invalid; exchanged by the other use is reuse.
        return current?.revokedAt && !current.rotatedAt
          ? { kind: 'invalid' }
          : { kind: 'reused', familyId: existing.familyId };
      }
    } else {
      try {
        await this.rotations.insertOne({ _id: hash, familyId: existing.familyId, at: now });
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
        return { kind: 'reused', familyId: existing.familyId };
      }
      await this.tokens.updateOne({ _id: hash }, { $set: { rotatedAt: now } });
    }
    const previous = toRow({ ...existing, rotatedAt: now });
    const nextRow = next(previous);
    await this.insert(nextRow);
    return { kind: 'rotated', previous, next: nextRow };
  }

  async revokeFamily(familyId: string, nowMs: number): Promise<void> {
    await this.tokens.updateMany({ familyId, revokedAt: null }, { $set: { revokedAt: new Date(nowMs) } });
  }

  async revokeUser(userId: string, nowMs: number): Promise<void> {
    await this.tokens.updateMany({ userId, revokedAt: null }, { $set: { revokedAt: new Date(nowMs) } });
  }

  async revokeDevice(userId: string, deviceId: string, nowMs: number): Promise<void> {
    await this.tokens.updateMany({ userId, deviceId, revokedAt: null }, { $set: { revokedAt: new Date(nowMs) } });
  }
}
