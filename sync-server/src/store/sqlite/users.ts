import { foldForSearch, type Role } from '@gatehouse/protocol';
import type Database from 'better-sqlite3';
import { storeErrors } from '../errors';
import type { After, NewUser, UserPatch, UserRepository } from '../port';
import type { UserRow } from '../rows';
import { changeOf } from '../wire';
import type { ChangeLog } from './changes';
import type { SqliteDatabase } from './database';
import { bit, jsonList, pageLimit } from './sql';

export type UserRecord = {
  id: string;
  email: string;
  name: string;
  role: Role;
  disabled: number;
  password_hash: string;
  created_at: string;
  updated_at: string;
  rev: number;
  photo_id: string | null;
};

type UserParams = UserRecord;

export function toUserRow(record: UserRecord): UserRow {
  return {
    id: record.id,
    rev: record.rev,
    email: record.email,
    name: record.name,
    role: record.role,
    disabled: record.disabled === 1,
    passwordHash: record.password_hash,
    createdAt: record.created_at,
    updatedAt: record.updated_at,
    ...(record.photo_id ? { photoId: record.photo_id } : {}),
  };
}

export function toUserParams(row: UserRow): UserParams {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    disabled: bit(row.disabled),
    password_hash: row.passwordHash,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
    rev: row.rev,
    photo_id: row.photoId ?? null,
  };
}

type ListParams = {
  q: string | null;
  role: Role | null;
  afterValue: string | null;
  afterId: string | null;
  limit: number;
};

/** Users, each published to its own bucket `user:<id>` (the profile its devices show). */
export class SqliteUsers {
  private readonly byId: Database.Statement<[string], UserRecord>;
  private readonly byEmail: Database.Statement<[string], UserRecord>;
  private readonly byIds: Database.Statement<[string], UserRecord>;
  private readonly insertRow: Database.Statement<UserParams>;
  private readonly updateRow: Database.Statement<UserParams>;
  private readonly listFirst: Database.Statement<ListParams, UserRecord>;
  private readonly listAfter: Database.Statement<ListParams, UserRecord>;
  private readonly activeAdmins: Database.Statement<[], { n: number }>;
  private readonly candidates: Database.Statement<
    { roles: string; exclude: string; q: string | null; limit: number },
    UserRecord
  >;

  constructor(
    private readonly database: SqliteDatabase,
    private readonly changes: ChangeLog,
  ) {
    const { db } = database;
    this.byId = db.prepare('SELECT * FROM users WHERE id = ?');
    this.byEmail = db.prepare('SELECT * FROM users WHERE email = ?');
    this.byIds = db.prepare('SELECT * FROM users WHERE id IN (SELECT value FROM json_each(?))');
    this.insertRow = db.prepare(
      `INSERT INTO users (id, email, name, role, disabled, password_hash, created_at, updated_at, rev, photo_id)
       VALUES (@id, @email, @name, @role, @disabled, @password_hash, @created_at, @updated_at, @rev, @photo_id)`,
    );
    this.updateRow = db.prepare(
      `UPDATE users SET email = @email, name = @name, role = @role, disabled = @disabled,
         password_hash = @password_hash, created_at = @created_at, updated_at = @updated_at, rev = @rev,
         photo_id = @photo_id
       WHERE id = @id`,
    );
    const filter = `(@q IS NULL OR gh_contains(email, @q) OR gh_contains(name, @q)) AND (@role IS NULL OR role = @role)`;
    this.listFirst = db.prepare(
      `SELECT * FROM users WHERE ${filter} AND @afterValue IS NULL ORDER BY created_at, id LIMIT @limit`,
    );
    this.listAfter = db.prepare(
      `SELECT * FROM users WHERE ${filter} AND (created_at, id) > (@afterValue, @afterId)
       ORDER BY created_at, id LIMIT @limit`,
    );
    this.activeAdmins = db.prepare(`SELECT count(*) AS n FROM users WHERE role = 'admin' AND disabled = 0`);
    this.candidates = db.prepare(
      `SELECT * FROM users
       WHERE disabled = 0
         AND role IN (SELECT value FROM json_each(@roles))
         AND id NOT IN (SELECT value FROM json_each(@exclude))
         AND (@q IS NULL OR gh_contains(name, @q) OR gh_contains(email, @q))
       ORDER BY name, id LIMIT @limit`,
    );
  }

  find(id: string): UserRow | null {
    const record = this.byId.get(id);
    return record ? toUserRow(record) : null;
  }

  findByEmail(email: string): UserRow | null {
    const record = this.byEmail.get(email);
    return record ? toUserRow(record) : null;
  }

  create(input: NewUser & { id: string; at: string }): UserRow {
    if (this.byEmail.get(input.email)) throw storeErrors.emailTaken();
    const row: UserRow = {
      id: input.id,
      rev: 1,
      email: input.email,
      name: input.name,
      role: input.role,
      disabled: false,
      passwordHash: input.passwordHash,
      createdAt: input.at,
      updatedAt: input.at,
    };
    this.insertRow.run(toUserParams(row));
    this.changes.append(changeOf.user(row));
    return row;
  }

  update(id: string, patch: UserPatch, at: string): UserRow | null {
    const current = this.find(id);
    if (!current) return null;
    const next: UserRow = { ...current, rev: current.rev + 1, updatedAt: at };
    if (patch.name !== undefined) next.name = patch.name;
    if (patch.role !== undefined) next.role = patch.role;
    if (patch.disabled !== undefined) next.disabled = patch.disabled;
    if (patch.passwordHash !== undefined) next.passwordHash = patch.passwordHash;
    if (patch.photoId !== undefined) {
      if (patch.photoId === null) delete next.photoId;
      else next.photoId = patch.photoId;
    }
    this.updateRow.run(toUserParams(next));
    this.changes.append(changeOf.user(next));
    return next;
  }

  /**
   * Moves the user to `email` (an email change confirmed: store/sqlite/email-changes.ts), bumping
   * rev and publishing the profile. EMAIL_TAKEN when another account has it. Call inside a write.
   */
  setEmail(id: string, email: string, at: string): UserRow | null {
    const current = this.find(id);
    if (!current) return null;
    const holder = this.byEmail.get(email);
    if (holder && holder.id !== id) throw storeErrors.emailTaken();
    const next: UserRow = { ...current, email, rev: current.rev + 1, updatedAt: at };
    this.updateRow.run(toUserParams(next));
    this.changes.append(changeOf.user(next));
    return next;
  }

  publish(id: string): void {
    const row = this.find(id);
    // The same rev again: devices keep the highest rev they hold, so a repeat is harmless.
    if (row) this.changes.append(changeOf.user(row));
  }

  repository(): UserRepository {
    const { database } = this;
    return {
      create: (input) => database.write(() => this.create(input)),
      findById: (id) => database.read(() => this.find(id)),
      findByEmail: (email) => database.read(() => this.findByEmail(email)),
      findByIds: (ids) => database.read(() => (ids.length === 0 ? [] : this.byIds.all(jsonList(ids)).map(toUserRow))),
      list: (filter, after: After<string> | undefined, limit) =>
        database.read(() => {
          const params: ListParams = {
            q: filter.q ? foldForSearch(filter.q) : null,
            role: filter.role ?? null,
            afterValue: after ? after.value : null,
            afterId: after ? after.id : null,
            limit: pageLimit(limit),
          };
          return (after ? this.listAfter : this.listFirst).all(params).map(toUserRow);
        }),
      update: (id, patch, at) => database.write(() => this.update(id, patch, at)),
      publish: (id) => database.write(() => this.publish(id)),
      countActiveAdmins: () => database.read(() => this.activeAdmins.get()!.n),
      staffCandidates: (input) =>
        database.read(() =>
          this.candidates
            .all({
              roles: jsonList(input.roles),
              exclude: jsonList(input.excludeIds),
              q: input.q ? foldForSearch(input.q) : null,
              limit: Math.max(0, Math.floor(input.limit)),
            })
            .map(toUserRow),
        ),
    };
  }
}
