import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { accessClaimsSchema, GatehouseError, type AccessClaims, type Role } from '@gatehouse/protocol';
import jwt from 'jsonwebtoken';
import type { Collection, Db } from 'mongodb';
import type { ServerConfig } from '../config';
import { ensureTtlIndex, isDuplicateKeyError } from '../db/mongo';

/** The only algorithm we sign with and the only one we accept: `alg: none` and key confusion fail. */
const ALGORITHM = 'HS256' as const;

export type RefreshTokenDoc = {
  /** SHA-256 of the token; the token itself is never stored. */
  _id: string;
  familyId: string;
  userId: string;
  deviceId: string | null;
  createdAt: Date;
  expiresAt: Date;
  /** Set when this token was exchanged for the next one in its family. */
  rotatedAt: Date | null;
  revokedAt: Date | null;
};

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

export class TokenService {
  private readonly refreshTokens: Collection<RefreshTokenDoc>;
  private readonly rotations: Collection<{ _id: string; familyId: string; at: Date }>;

  constructor(
    db: Db,
    private readonly config: ServerConfig['jwt'],
  ) {
    this.refreshTokens = db.collection<RefreshTokenDoc>('refreshTokens');
    this.rotations = db.collection('refreshTokenRotations');
  }

  async ensureIndexes(): Promise<void> {
    await this.refreshTokens.createIndex({ familyId: 1 });
    await this.refreshTokens.createIndex({ userId: 1 });
    await ensureTtlIndex(this.refreshTokens, 'expiresAt', 7 * 24 * 3600);
    await ensureTtlIndex(this.rotations, 'at', 60 * 24 * 3600);
  }

  issueAccessToken(user: { id: string; role: Role }): string {
    return jwt.sign({ role: user.role, typ: 'access' }, this.config.secret, {
      algorithm: ALGORITHM,
      expiresIn: this.config.accessTtlSeconds,
      issuer: this.config.issuer,
      audience: this.config.audience,
      subject: user.id,
    });
  }

  verifyAccessToken(token: string): AccessClaims {
    let decoded: unknown;
    try {
      decoded = jwt.verify(token, this.config.secret, {
        algorithms: [ALGORITHM],
        issuer: this.config.issuer,
        audience: this.config.audience,
      });
    } catch (error) {
      if (error instanceof jwt.TokenExpiredError) {
        throw new GatehouseError('TOKEN_EXPIRED', 'Your session has expired; refresh or sign in again');
      }
      throw new GatehouseError('TOKEN_INVALID', 'The access token is not valid');
    }
    const claims = accessClaimsSchema.safeParse(decoded);
    if (!claims.success) throw new GatehouseError('TOKEN_INVALID', 'The access token is not valid');
    return claims.data;
  }

  /** Starts a new family (a sign-in) or continues one (a rotation). */
  async issueRefreshToken(userId: string, deviceId: string | null, familyId: string = randomUUID()): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    const now = new Date();
    await this.refreshTokens.insertOne({
      _id: hashToken(token),
      familyId,
      userId,
      deviceId,
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.config.refreshTtlDays * 86_400_000),
      rotatedAt: null,
      revokedAt: null,
    });
    return token;
  }

  /**
   * Exchanges a refresh token for a new one in the same family. The claim is one atomic
   * findOneAndUpdate, so two concurrent uses cannot both succeed. Presenting a token that was
   * already rotated means it leaked: the whole family is revoked (RFC 9700 §4.14.2).
   */
  async rotate(token: string): Promise<{ userId: string; deviceId: string | null; refreshToken: string }> {
    const id = hashToken(token);
    const now = new Date();
    const existing = await this.refreshTokens.findOne({ _id: id });
    if (!existing || existing.revokedAt || existing.expiresAt <= now) {
      throw new GatehouseError('REFRESH_TOKEN_INVALID', 'The refresh token is not valid; sign in again');
    }
    // The claim is a unique insert: atomic on MongoDB and FerretDB alike (a conditional update is
    // not atomic on FerretDB), so of two concurrent uses exactly one wins and the other counts as reuse.
    let claimed = !existing.rotatedAt;
    if (claimed) {
      try {
        await this.rotations.insertOne({ _id: id, familyId: existing.familyId, at: now });
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
        claimed = false;
      }
    }
    if (!claimed) {
      await this.revokeFamily(existing.familyId);
      throw new GatehouseError(
        'REFRESH_TOKEN_REUSED',
        'This refresh token was already used; all sessions from it were signed out',
      );
    }
    await this.refreshTokens.updateOne({ _id: id }, { $set: { rotatedAt: now } });
    const refreshToken = await this.issueRefreshToken(existing.userId, existing.deviceId, existing.familyId);
    return { userId: existing.userId, deviceId: existing.deviceId, refreshToken };
  }

  async revokeByToken(token: string): Promise<void> {
    const existing = await this.refreshTokens.findOne({ _id: hashToken(token) });
    if (existing) await this.revokeFamily(existing.familyId);
  }

  async revokeFamily(familyId: string): Promise<void> {
    await this.refreshTokens.updateMany({ familyId, revokedAt: null }, { $set: { revokedAt: new Date() } });
  }

  async revokeAllForUser(userId: string): Promise<void> {
    await this.refreshTokens.updateMany({ userId, revokedAt: null }, { $set: { revokedAt: new Date() } });
  }

  async revokeAllForDevice(userId: string, deviceId: string): Promise<void> {
    await this.refreshTokens.updateMany({ userId, deviceId, revokedAt: null }, { $set: { revokedAt: new Date() } });
  }
}
