import { randomUUID } from 'node:crypto';
import { GatehouseError, type Role } from '@gatehouse/protocol';
import { hashPassword } from '../auth/passwords';
import type { UserRepository } from '../store/port';

/**
 * Creates or repairs an account from configuration. Used for the first admin (ADMIN_EMAIL /
 * ADMIN_PASSWORD) and demo accounts; an existing account keeps its password unless `resetPassword`.
 */
export async function ensureUser(
  users: UserRepository,
  input: { email: string; password: string; name: string; role: Role },
  options: { scryptCost: number; resetPassword?: boolean },
): Promise<{ id: string; created: boolean }> {
  const email = input.email.trim().toLowerCase();
  const now = new Date().toISOString();
  const existing = await users.findByEmail(email);
  if (existing) {
    const passwordHash = options.resetPassword ? await hashPassword(input.password, options.scryptCost) : undefined;
    await users.update(
      existing.id,
      { role: input.role, disabled: false, ...(passwordHash ? { passwordHash } : {}) },
      now,
    );
    return { id: existing.id, created: false };
  }
  const passwordHash = await hashPassword(input.password, options.scryptCost);
  try {
    const created = await users.create({
      id: randomUUID(),
      email,
      name: input.name,
      role: input.role,
      passwordHash,
      at: now,
    });
    return { id: created.id, created: true };
  } catch (error) {
    if (!(error instanceof GatehouseError && error.code === 'EMAIL_TAKEN')) throw error;
    // Another process seeded the same account at the same moment.
    const raced = await users.findByEmail(email);
    if (!raced) throw new Error(`could not create ${email}`);
    return { id: raced.id, created: false };
  }
}
