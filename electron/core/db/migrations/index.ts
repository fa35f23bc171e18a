import type Database from 'better-sqlite3';
import { migration001 } from './001_init';
import { migration002 } from './002_booking_words';
import { migration003 } from './003_booking_list_index';
import { migration004 } from './004_initial_sync_phases';
import { migration005 } from './005_checkins_by_hlc';
import { migration006 } from './006_refusals';
import { migration007 } from './007_search_folding';
import { migration008 } from './008_rejected_hlc';
import { migration009 } from './009_rejected_subject';
import { migration013 } from './013_photos';
import { migration016 } from './016_erasure_scrub';
import { migration017 } from './017_bookings_droppable_key';

/** One step: `sql`, then `run` (for data SQL cannot compute, such as folded search words), in one transaction. */
export type Migration = { version: number; name: string; sql: string; run?: (db: Database.Database) => void };

/** In order; a shipped migration is never edited, only followed by a new one. */
export const MIGRATIONS: Migration[] = [
  migration001,
  migration002,
  migration003,
  migration004,
  migration005,
  migration006,
  migration007,
  migration008,
  migration009,
  migration013,
  migration016,
  migration017,
];

/** Applies each pending migration in its own transaction and records it in `schema_migrations`. */
export function migrate(db: Database.Database, migrations: Migration[] = MIGRATIONS): number {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((row) => row.version),
  );
  let count = 0;
  for (const migration of migrations) {
    if (applied.has(migration.version)) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      migration.run?.(db);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        migration.version,
        migration.name,
        new Date().toISOString(),
      );
    })();
    count += 1;
  }
  return count;
}
