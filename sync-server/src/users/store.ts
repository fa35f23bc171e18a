import { randomUUID } from 'node:crypto';
import { GatehouseError, type Role, type User, type UserAdminPatch, type UserListQuery } from '@gatehouse/protocol';
import type { Collection, Db, Filter } from 'mongodb';
import { escapeRegex, isDuplicateKeyError } from '../db/mongo';
import { afterCursorFilter, toPage } from '../http/pagination';

export type UserDoc = {
  _id: string;
  email: string;
  name: string;
  role: Role;
  disabled: boolean;
  passwordHash: string;
  createdAt: string;
  updatedAt: string;
};

export function toUser(doc: UserDoc): User {
  return {
    id: doc._id,
    email: doc.email,
    name: doc.name,
    role: doc.role,
    disabled: doc.disabled,
    createdAt: doc.createdAt,
  };
}

export class UserStore {
  readonly users: Collection<UserDoc>;
  constructor(db: Db) {
    this.users = db.collection<UserDoc>('users');
  }

  async ensureIndexes(): Promise<void> {
    await this.users.createIndex({ email: 1 }, { unique: true });
    await this.users.createIndex({ createdAt: 1, _id: 1 });
  }

  async create(input: { email: string; name: string; role: Role; passwordHash: string }): Promise<UserDoc> {
    const now = new Date().toISOString();
    const doc: UserDoc = { _id: randomUUID(), ...input, disabled: false, createdAt: now, updatedAt: now };
    try {
      await this.users.insertOne(doc);
    } catch (error) {
      if (isDuplicateKeyError(error)) throw new GatehouseError('EMAIL_TAKEN', 'An account with this email exists');
      throw error;
    }
    return doc;
  }

  findById(id: string): Promise<UserDoc | null> {
    return this.users.findOne({ _id: id });
  }

  findByEmail(email: string): Promise<UserDoc | null> {
    return this.users.findOne({ email });
  }

  async list(query: UserListQuery) {
    const filter: Filter<UserDoc> = { ...afterCursorFilter<UserDoc>('createdAt', 1, query.cursor) };
    const and: Filter<UserDoc>[] = [];
    if (query.q) {
      const pattern = new RegExp(escapeRegex(query.q), 'i');
      and.push({ $or: [{ email: pattern }, { name: pattern }] });
    }
    if (query.role) and.push({ role: query.role });
    const rows = await this.users
      .find(and.length ? { $and: [filter, ...and] } : filter)
      .sort({ createdAt: 1, _id: 1 })
      .limit(query.limit + 1)
      .toArray();
    return toPage(rows, query.limit, (row) => row.createdAt, toUser);
  }

  async adminUpdate(id: string, patch: UserAdminPatch): Promise<UserDoc> {
    const updated = await this.users.findOneAndUpdate(
      { _id: id },
      { $set: { ...patch, updatedAt: new Date().toISOString() } },
      { returnDocument: 'after' },
    );
    if (!updated) throw new GatehouseError('NOT_FOUND', 'User not found');
    return updated;
  }

  async setName(id: string, name: string): Promise<UserDoc> {
    return this.adminUpdate(id, { name });
  }

  countAdmins(): Promise<number> {
    return this.users.countDocuments({ role: 'admin', disabled: false });
  }
}
