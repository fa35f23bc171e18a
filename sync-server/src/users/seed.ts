import type { Role } from '@gatehouse/protocol';
import { hashPassword } from '../auth/passwords';
import type { UserStore } from './store';

/**
 * Creates or repairs an account from configuration. Used for the first admin (ADMIN_EMAIL /
 * ADMIN_PASSWORD) and demo accounts; an existing account keeps its password unless `resetPassword`.
 */
export async function ensureUser(
  users: UserStore,
  input: { email: string; password: string; name: string; role: Role },
  options: { scryptCost: number; resetPassword?: boolean },
): Promise<{ id: string; created: boolean }> {
  const email = input.email.trim().toLowerCase();
  const existing = await users.findByEmail(email);
  if (existing) {
    const set: Record<string, unknown> = { role: input.role, disabled: false };
    if (options.resetPassword) set.passwordHash = await hashPassword(input.password, options.scryptCost);
    await users.users.updateOne({ _id: existing._id }, { $set: set });
    return { id: existing._id, created: false };
  }
  const passwordHash = await hashPassword(input.password, options.scryptCost);
  try {
    const created = await users.create({ email, name: input.name, role: input.role, passwordHash });
    return { id: created._id, created: true };
  } catch {
    // Another process seeded the same account at the same moment.
    const raced = await users.findByEmail(email);
    if (!raced) throw new Error(`could not create ${email}`);
    return { id: raced._id, created: false };
  }
}
