import { createHash, createSecretKey, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { accessClaimsSchema, GatehouseError, type AccessClaims, type Role } from '@gatehouse/protocol';
import jwt from 'jsonwebtoken';
import { LRUCache } from 'lru-cache';
import type { JwtSettings } from '../config';
import type { SessionRepository } from '../store/port';
import type { RefreshTokenRow } from '../store/rows';

/** The only algorithm we sign with and the only one we accept: `alg: none` and key confusion fail. */
const ALGORITHM = 'HS256' as const;

/**
 * Access tokens whose signature and claims were verified, kept so a device's next requests with the
 * same token skip the HMAC and the claims' schema (jsonwebtoken's verify was ~4 % of the server's CPU
 * under 50 pushing devices, each request re-verifying the token it sent a moment ago). Bounded: the
 * least recently used entry goes first. Only successful verifications are kept, and a hit is re-checked against
 * the token's own `exp`, so a cached token expires exactly when an uncached one does.
 */
const VERIFIED_TOKENS_KEPT = 10_000;

/** Which sessions ended: one family, or a user's (on one device, or but one family). */
export type SessionMatch = { familyId?: string; userId?: string; deviceId?: string; exceptFamilyId?: string };

function tokenExpired(): GatehouseError {
  return new GatehouseError('TOKEN_EXPIRED', 'Your session has expired; refresh or sign in again');
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/**
 * Access tokens (short-lived HS256 JWTs, algorithm pinned on verify) and refresh tokens (opaque,
 * stored hashed, rotated on every use in a family; RFC 9700 §4.14.2).
 */
export class TokenService {
  /**
   * The HMAC key as a KeyObject, made once: given a string, jsonwebtoken first tries to parse it as
   * a public key on every verify (measured: 343 µs a verify, 7 µs with the KeyObject) — a fifth of
   * the server's CPU under 50 pushing devices.
   */
  private readonly key: KeyObject;
  /** Token → its verified claims (see VERIFIED_TOKENS_KEPT). */
  private readonly verified = new LRUCache<string, Readonly<AccessClaims>>({ max: VERIFIED_TOKENS_KEPT });

  /**
   * `onEnded` hears of every session this process ends, so the guard's session cache refuses
   * their access tokens at once rather than after its staleness bound.
   */
  constructor(
    private readonly sessions: SessionRepository,
    private readonly config: JwtSettings,
    private readonly onEnded: (match: SessionMatch) => void = () => undefined,
  ) {
    this.key = createSecretKey(Buffer.from(config.secret, 'utf8'));
  }

  /**
   * A signed access token for `user` in `session` (its refresh-token family), valid for
   * `accessTtlSeconds`. The session id lets ending the session end the token; the device id ties
   * the token to the device the session was started on (null: none named yet).
   */
  issueAccessToken(user: { id: string; role: Role }, session: { id: string; deviceId: string | null }): string {
    return jwt.sign({ role: user.role, typ: 'access', sid: session.id, did: session.deviceId }, this.key, {
      algorithm: ALGORITHM,
      expiresIn: this.config.accessTtlSeconds,
      issuer: this.config.issuer,
      audience: this.config.audience,
      subject: user.id,
    });
  }

  /**
   * The claims of a valid access token: signed with our key in HS256, our issuer and audience, not
   * expired. TOKEN_EXPIRED past its `exp`; TOKEN_INVALID for anything else (forged, another
   * algorithm, malformed, wrong claims). A token verified before is answered from memory until its
   * `exp` (seconds since the epoch, UTC; expired when now ≥ exp, as jsonwebtoken judges it).
   */
  verifyAccessToken(token: string, nowMs = Date.now()): AccessClaims {
    const known = this.verified.get(token);
    if (known) {
      if (Math.floor(nowMs / 1000) < known.exp) return known;
      this.verified.delete(token);
      throw tokenExpired();
    }
    let decoded: unknown;
    try {
      decoded = jwt.verify(token, this.key, {
        algorithms: [ALGORITHM],
        issuer: this.config.issuer,
        audience: this.config.audience,
        clockTimestamp: Math.floor(nowMs / 1000),
      });
    } catch (error) {
      if (error instanceof jwt.TokenExpiredError) throw tokenExpired();
      throw new GatehouseError('TOKEN_INVALID', 'The access token is not valid');
    }
    const claims = accessClaimsSchema.safeParse(decoded);
    if (!claims.success) throw new GatehouseError('TOKEN_INVALID', 'The access token is not valid');
    this.verified.set(token, Object.freeze(claims.data));
    return claims.data;
  }

  /** Starts a new session (a refresh-token family: a sign-in). The token is stored only as its hash. */
  async issueRefreshToken(
    userId: string,
    deviceId: string | null,
  ): Promise<{ refreshToken: string; sessionId: string }> {
    const token = randomBytes(32).toString('base64url');
    const sessionId = randomUUID();
    await this.sessions.insert(this.refreshRow(token, { familyId: sessionId, userId, deviceId }, Date.now()));
    return { refreshToken: token, sessionId };
  }

  private refreshRow(
    token: string,
    family: { familyId: string; userId: string; deviceId: string | null },
    nowMs: number,
  ): RefreshTokenRow {
    return {
      hash: hashToken(token),
      familyId: family.familyId,
      userId: family.userId,
      deviceId: family.deviceId,
      createdAtMs: nowMs,
      expiresAtMs: nowMs + this.config.refreshTtlDays * 86_400_000,
      rotatedAtMs: null,
      revokedAtMs: null,
    };
  }

  /**
   * Exchanges a refresh token for a new one in the same family, atomically: of two concurrent uses
   * one wins and the other counts as reuse. Presenting a token that was already rotated means it
   * leaked: the whole family is revoked (REFRESH_TOKEN_REUSED). Unknown, expired or revoked:
   * REFRESH_TOKEN_INVALID.
   */
  async rotate(
    token: string,
  ): Promise<{ userId: string; deviceId: string | null; sessionId: string; refreshToken: string }> {
    const refreshToken = randomBytes(32).toString('base64url');
    const now = Date.now();
    const outcome = await this.sessions.rotate(hashToken(token), now, (previous) =>
      this.refreshRow(refreshToken, previous, now),
    );
    if (outcome.kind === 'invalid') {
      throw new GatehouseError('REFRESH_TOKEN_INVALID', 'The refresh token is not valid; sign in again');
    }
    if (outcome.kind === 'reused') {
      await this.sessions.revokeFamily(outcome.familyId, now);
      this.onEnded({ familyId: outcome.familyId });
      throw new GatehouseError(
        'REFRESH_TOKEN_REUSED',
        'This refresh token was already used; all sessions from it were signed out',
      );
    }
    const { userId, deviceId, familyId } = outcome.previous;
    return { userId, deviceId, sessionId: familyId, refreshToken };
  }

  /** The stored row of a refresh token, whatever its state; null when unknown. */
  findRefreshToken(token: string): Promise<RefreshTokenRow | null> {
    return this.sessions.findByHash(hashToken(token));
  }

  /** Ends the session the refresh token belongs to (a sign-out); an unknown token ends nothing. */
  async revokeByToken(token: string): Promise<void> {
    const existing = await this.sessions.findByHash(hashToken(token));
    if (!existing) return;
    await this.sessions.revokeFamily(existing.familyId, Date.now());
    this.onEnded({ familyId: existing.familyId });
  }

  /** Ends one of the user's sessions; NOT_FOUND when it is not theirs or already over. */
  async revokeSession(userId: string, sessionId: string): Promise<void> {
    const ended = await this.sessions.revokeFamily(sessionId, Date.now(), userId);
    if (ended === 0) throw new GatehouseError('NOT_FOUND', 'No such session');
    this.onEnded({ familyId: sessionId });
  }

  /** Ends every session of the user but `exceptSessionId`; answers how many ended. */
  async revokeAllForUser(userId: string, exceptSessionId?: string): Promise<number> {
    const ended = await this.sessions.revokeUser(userId, Date.now(), exceptSessionId);
    this.onEnded({ userId, ...(exceptSessionId === undefined ? {} : { exceptFamilyId: exceptSessionId }) });
    return ended;
  }

  /**
   * Ends every session of the user started on one device (the device was revoked), and
   * `lastSessionId`, the session that last synced as it, when it is the user's: a sign-in that named
   * no device cannot go on syncing under a fresh device id either.
   */
  async revokeAllForDevice(userId: string, deviceId: string, lastSessionId: string | null = null): Promise<number> {
    const now = Date.now();
    let ended = await this.sessions.revokeDevice(userId, deviceId, now);
    this.onEnded({ userId, deviceId });
    if (lastSessionId !== null && (await this.sessions.revokeFamily(lastSessionId, now, userId)) > 0) {
      ended += 1;
      this.onEnded({ familyId: lastSessionId });
    }
    return ended;
  }
}
