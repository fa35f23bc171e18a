import type Database from 'better-sqlite3';
import type { SecretRepository } from '../port';
import type { SqliteDatabase } from './database';

/** Server secrets by name; the first value stored for a name stays. */
export class SqliteSecrets {
  private readonly insert: Database.Statement<[string, string]>;
  private readonly byName: Database.Statement<[string], { value: string }>;

  constructor(private readonly database: SqliteDatabase) {
    const { db } = database;
    this.insert = db.prepare('INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING');
    this.byName = db.prepare('SELECT value FROM secrets WHERE name = ?');
  }

  repository(): SecretRepository {
    return {
      ensure: (name, candidate) =>
        this.database.write(() => {
          this.insert.run(name, candidate);
          return this.byName.get(name)!.value;
        }),
    };
  }
}
