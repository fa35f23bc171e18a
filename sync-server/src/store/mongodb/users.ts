import type { Role } from '@gatehouse/protocol';
import type { Filter, UpdateFilter } from 'mongodb';
import { storeErrors } from '../errors';
import type { After, NewUser, UserPatch, UserRepository } from '../port';
import type { UserRow } from '../rows';
import { changeOf } from '../wire';
import type { LoggedCollection } from './changelog';
import type { StoreContext } from './context';
import { COLLECTIONS, toUserRow, type UserDoc } from './documents';
import { isDuplicateKeyError } from './errors';
import { foldingPattern } from './folding-regex';
import { afterKey, findByIds } from './queries';

/** Accounts; each profile write is logged to the user's own bucket (`user:<id>`). */
export class MongoUsers implements UserRepository {
  readonly target: LoggedCollection<UserDoc>;

  constructor(private readonly context: StoreContext) {
    this.target = context.changeLog.register({
      collection: context.db.collection<UserDoc>(COLLECTIONS.users),
      toChange: (doc) => changeOf.user(toUserRow(doc)),
    });
  }

  private get users() {
    return this.target.collection;
  }

  async create(input: NewUser & { id: string; at: string }): Promise<UserRow> {
    try {
      const stored = await this.context.changeLog.insertAndLog(this.target, {
        _id: input.id,
        email: input.email,
        name: input.name,
        role: input.role,
        disabled: false,
        passwordHash: input.passwordHash,
        createdAt: input.at,
        updatedAt: input.at,
      });
      return toUserRow(stored);
    } catch (error) {
      // A grouped insert does not say which key was taken; the email is the one a caller can take twice.
      if (
        isDuplicateKeyError(error) &&
        (await this.users.findOne({ email: input.email }, { projection: { _id: 1 } }))
      ) {
        throw storeErrors.emailTaken();
      }
      throw error;
    }
  }

  async findById(id: string): Promise<UserRow | null> {
    const doc = await this.users.findOne({ _id: id });
    return doc ? toUserRow(doc) : null;
  }

  async findByEmail(email: string): Promise<UserRow | null> {
    const doc = await this.users.findOne({ email });
    return doc ? toUserRow(doc) : null;
  }

  async findByIds(ids: string[]): Promise<UserRow[]> {
    return (await findByIds(this.users, ids, this.context.capabilities)).map(toUserRow);
  }

  async list(filter: { q?: string; role?: Role }, after: After<string> | undefined, limit: number): Promise<UserRow[]> {
    const and: Filter<UserDoc>[] = [afterKey<UserDoc>('createdAt', 1, after)];
    if (filter.q) {
      const pattern = new RegExp(foldingPattern(filter.q), 'i');
      and.push({ $or: [{ email: pattern }, { name: pattern }] });
    }
    if (filter.role) and.push({ role: filter.role });
    const docs = await this.users
      .find({ $and: and })
      .sort({ createdAt: 1, _id: 1 })
      .limit(limit + 1)
      .toArray();
    return docs.map(toUserRow);
  }

  async update(id: string, patch: UserPatch, at: string): Promise<UserRow | null> {
    const set: Partial<UserDoc> = { updatedAt: at };
    if (patch.name !== undefined) set.name = patch.name;
    if (patch.role !== undefined) set.role = patch.role;
    if (patch.disabled !== undefined) set.disabled = patch.disabled;
    if (patch.passwordHash !== undefined) set.passwordHash = patch.passwordHash;
    if (patch.photoId) set.photoId = patch.photoId;
    const update: UpdateFilter<UserDoc> = { $set: set };
    if (patch.photoId === null) update.$unset = { photoId: '' };
    const doc = await this.context.changeLog.updateAndLog(this.target, id, update);
    return doc ? toUserRow(doc) : null;
  }

  /**
   * Moves the user to `email` (a confirmed email change: email-changes.ts), bumping rev and logging
   * the profile. EMAIL_TAKEN when another account holds it (the unique index is the arbiter).
   */
  async setEmail(id: string, email: string, at: string): Promise<UserRow | null> {
    try {
      const doc = await this.context.changeLog.updateAndLog(this.target, id, { $set: { email, updatedAt: at } });
      return doc ? toUserRow(doc) : null;
    } catch (error) {
      if (isDuplicateKeyError(error)) throw storeErrors.emailTaken();
      throw error;
    }
  }

  /** The profile as it stands, logged again under its own rev (a repeat of a version is harmless to devices). */
  async publish(id: string): Promise<void> {
    const doc = await this.users.findOne({ _id: id });
    if (doc) await this.context.changeLog.append(this.target.toChange(doc));
  }

  countActiveAdmins(): Promise<number> {
    return this.users.countDocuments({ role: 'admin', disabled: false });
  }

  async staffCandidates(input: { roles: Role[]; excludeIds: string[]; q?: string; limit: number }): Promise<UserRow[]> {
    const filter: Filter<UserDoc> = { role: { $in: input.roles }, disabled: false, _id: { $nin: input.excludeIds } };
    if (input.q) {
      const pattern = new RegExp(foldingPattern(input.q), 'i');
      filter.$or = [{ name: pattern }, { email: pattern }];
    }
    const docs = await this.users.find(filter).sort({ name: 1 }).limit(input.limit).toArray();
    return docs.map(toUserRow);
  }
}
