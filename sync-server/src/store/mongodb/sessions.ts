import type { Collection } from 'mongodb';
import type { ActiveSessionRow, RotateOutcome, SessionRepository, SessionSummaryRow } from '../port';
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

  async activeSession(familyId: string, nowMs: number): Promise<ActiveSessionRow | null> {
    const doc = await this.tokens.findOne(
      { familyId, revokedAt: null, expiresAt: { $gt: new Date(nowMs) } },
      { projection: { familyId: 1, userId: 1, deviceId: 1 } },
    );
    return doc ? { familyId: doc.familyId, userId: doc.userId, deviceId: doc.deviceId ?? null } : null;
  }

  async listActive(userId: string, nowMs: number): Promise<SessionSummaryRow[]> {
    // A user has a handful of sessions, each a token per refresh: grouped here, not by the server.
    const families = new Map<string, SessionSummaryRow>();
    for await (const doc of this.tokens.find({ userId, revokedAt: null })) {
      const created = doc.createdAt.getTime();
      const expires = doc.expiresAt.getTime();
      const known = families.get(doc.familyId);
      if (!known) {
        families.set(doc.familyId, {
          familyId: doc.familyId,
          userId,
          deviceId: doc.deviceId ?? null,
          startedAtMs: created,
          lastActiveAtMs: created,
          expiresAtMs: expires,
        });
        continue;
      }
      known.deviceId ??= doc.deviceId ?? null;
      known.startedAtMs = Math.min(known.startedAtMs, created);
      known.lastActiveAtMs = Math.max(known.lastActiveAtMs, created);
      known.expiresAtMs = Math.max(known.expiresAtMs, expires);
    }
    return [...families.values()]
      .filter((session) => session.expiresAtMs > nowMs)
      .sort((a, b) => b.lastActiveAtMs - a.lastActiveAtMs);
  }

  async revokeFamily(familyId: string, nowMs: number, userId?: string): Promise<number> {
    const live = await this.activeSession(familyId, nowMs);
    if (!live || (userId !== undefined && live.userId !== userId)) return 0;
    await this.tokens.updateMany({ familyId, revokedAt: null }, { $set: { revokedAt: new Date(nowMs) } });
    return 1;
  }

  async revokeUser(userId: string, nowMs: number, exceptFamilyId?: string): Promise<number> {
    const ended = (await this.listActive(userId, nowMs)).filter((session) => session.familyId !== exceptFamilyId);
    if (ended.length === 0) return 0;
    const filter = exceptFamilyId === undefined ? { userId } : { userId, familyId: { $ne: exceptFamilyId } };
    await this.tokens.updateMany({ ...filter, revokedAt: null }, { $set: { revokedAt: new Date(nowMs) } });
    return ended.length;
  }

  async revokeDevice(userId: string, deviceId: string, nowMs: number): Promise<number> {
    const ended = (await this.listActive(userId, nowMs)).filter((session) => session.deviceId === deviceId).length;
    await this.tokens.updateMany({ userId, deviceId, revokedAt: null }, { $set: { revokedAt: new Date(nowMs) } });
    return ended;
  }
}
