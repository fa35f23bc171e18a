import type { Role } from '@gatehouse/protocol';
import type { UserRow } from '../rows';
import type { After } from './shared';

export type NewUser = Pick<UserRow, 'email' | 'name' | 'role' | 'passwordHash'>;
export type UserPatch = Partial<Pick<UserRow, 'name' | 'role' | 'disabled' | 'passwordHash' | 'photoId'>>;

export interface UserRepository {
  /** Inserts a new user (rev 1) and publishes the profile to `user:<id>`. EMAIL_TAKEN when the email exists. */
  create(input: NewUser & { id: string; at: string }): Promise<UserRow>;
  findById(id: string): Promise<UserRow | null>;
  findByEmail(email: string): Promise<UserRow | null>;
  findByIds(ids: string[]): Promise<UserRow[]>;
  /** By (createdAt, id) ascending; `q` matches a substring of email or name, case-insensitive. */
  list(filter: { q?: string; role?: Role }, after: After<string> | undefined, limit: number): Promise<UserRow[]>;
  /** Applies the patch, bumps rev and publishes the profile; null when the user does not exist. */
  update(id: string, patch: UserPatch, at: string): Promise<UserRow | null>;
  /** Publishes the current profile again (a user bucket that has none yet gets it on first pull). */
  publish(id: string): Promise<void>;
  countActiveAdmins(): Promise<number>;
  /** Enabled users with one of `roles`, not in `excludeIds`, matching `q` (name or email), by name. */
  staffCandidates(input: { roles: Role[]; excludeIds: string[]; q?: string; limit: number }): Promise<UserRow[]>;
}
