import { createHash, randomInt, randomUUID } from 'node:crypto';
import {
  EMAIL_CHANGE_TTL_HOURS,
  GatehouseError,
  type EmailChangeConfirmed,
  type EmailChangeState,
} from '@gatehouse/protocol';
import type { AppContext } from '../context';
import { verifyPassword } from '../auth/passwords';
import { emailChangeConfirmMail, emailChangedMail } from '../mail/account';
import type { EmailChangeRow } from '../store/port';
import type { UserRow } from '../store/rows';

/** Crockford base 32: no I, L, O, U, so a code read off a screen or a phone is not misread. */
const CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CODE_LENGTH = 20;

/** A fresh code, 100 random bits, grouped for reading: `XXXX-XXXX-XXXX-XXXX-XXXX`. */
function newCode(): string {
  const chars = Array.from({ length: CODE_LENGTH }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]);
  return chars.join('').replace(/(.{4})(?!$)/g, '$1-');
}

/** The code as stored: SHA-256 of its normalized form (no dashes, upper case; see emailChangeCodeSchema). */
export function hashEmailChangeCode(normalized: string): string {
  return createHash('sha256').update(normalized).digest('base64url');
}

function toState(row: EmailChangeRow | null, nowMs: number): EmailChangeState {
  if (!row || row.usedAtMs !== null || row.expiresAtMs <= nowMs) return { pending: null };
  return {
    pending: {
      newEmail: row.newEmail,
      requestedAt: row.requestedAt,
      expiresAt: new Date(row.expiresAtMs).toISOString(),
    },
  };
}

/**
 * Email changes (#20, user profile): asked for by the signed-in user with their password, mailed
 * as a single-use code to the NEW address (only its owner can confirm, and the account then signs
 * in with it), applied when the code comes back, and told to the OLD address afterwards. The
 * account's email is unchanged until the code is confirmed.
 *
 * The code reaches the mail outbox at once rather than through a hand-off: it exists in clear only
 * in this request (the store keeps its hash), so no later sweep could compose the mail. A request
 * that fails to queue its mail fails as a whole, and asking again replaces it.
 */
export class EmailChanges {
  constructor(private readonly ctx: AppContext) {}

  async state(userId: string): Promise<EmailChangeState> {
    return toState(await this.ctx.store.emailChanges.pendingFor(userId), Date.now());
  }

  async request(
    user: UserRow,
    input: { newEmail: string; currentPassword: string },
    ip: string,
  ): Promise<EmailChangeState> {
    const { lockout, store } = this.ctx;
    // The current password is a sign-in in all but name: the same lockout counts its failures.
    await lockout.assertNotLocked(user.email, ip);
    if (!(await verifyPassword(input.currentPassword, user.passwordHash))) {
      await lockout.recordFailure(user.email, ip);
      throw new GatehouseError('INVALID_CREDENTIALS', 'The current password is wrong');
    }
    await lockout.recordSuccess(user.email, ip);
    if (input.newEmail === user.email) {
      throw new GatehouseError('VALIDATION_FAILED', 'That is already your email address', [
        { path: 'newEmail', message: 'is already your email address' },
      ]);
    }
    if (await store.users.findByEmail(input.newEmail)) {
      throw new GatehouseError('EMAIL_TAKEN', 'Another account already uses that email address');
    }
    const code = newCode();
    const nowMs = Date.now();
    const row = {
      userId: user.id,
      newEmail: input.newEmail,
      tokenHash: hashEmailChangeCode(code.replace(/-/g, '')),
      requestedAt: new Date(nowMs).toISOString(),
      expiresAtMs: nowMs + EMAIL_CHANGE_TTL_HOURS * 3_600_000,
    };
    await store.emailChanges.request(row);
    await this.ctx.mail.outbox.enqueue([
      emailChangeConfirmMail({
        requestId: randomUUID(),
        name: user.name,
        oldEmail: user.email,
        newEmail: input.newEmail,
        code,
        expiresAt: new Date(row.expiresAtMs).toISOString(),
      }),
    ]);
    this.ctx.mail.worker.wake();
    return toState({ ...row, usedAtMs: null }, nowMs);
  }

  /** `token` is the code as `emailChangeCodeSchema` normalized it. */
  async confirm(token: string): Promise<EmailChangeConfirmed> {
    const nowMs = Date.now();
    const at = new Date(nowMs).toISOString();
    const outcome = await this.ctx.store.emailChanges.confirm(hashEmailChangeCode(token), nowMs, at);
    switch (outcome.kind) {
      case 'unknown':
        throw new GatehouseError(
          'EMAIL_CHANGE_CODE_INVALID',
          'That code is not a current email-change code (a newer request replaces an older code)',
        );
      case 'expired':
        throw new GatehouseError('EMAIL_CHANGE_CODE_EXPIRED', 'That code has expired: ask for the change again');
      case 'used':
        throw new GatehouseError('EMAIL_CHANGE_CODE_USED', 'That code was already used');
      case 'taken':
        throw new GatehouseError('EMAIL_TAKEN', 'Another account took that email address meanwhile');
      case 'applied': {
        const { user, oldEmail } = outcome;
        await this.ctx.mail.outbox.enqueue([
          emailChangedMail({ userId: user.id, rev: user.rev, name: user.name, oldEmail, newEmail: user.email, at }),
        ]);
        this.ctx.mail.worker.wake();
        return { email: user.email };
      }
    }
  }
}
