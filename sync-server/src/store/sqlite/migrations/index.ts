import type Database from 'better-sqlite3';
import { migration001 } from './001-initial';
import { migration002 } from './002-handoff-age';
import { migration003 } from './003-reentry';
import { migration004 } from './004-door-records';
import { migration005 } from './005-idempotent-answers';
import { migration006 } from './006-creation-order';
import { migration007 } from './007-device-session';
import { migration008 } from './008-staff-walk-ins';
import { migration009 } from './009-search-folding';
import { migration010 } from './010-booking-import';
import { migration011 } from './011-exports-and-erasure';
import { migration012 } from './012-photos';
import { migration013 } from './013-email-changes';
import { migration014 } from './014-alert-acknowledgements';
import { migration015 } from './015-import-order-date-and-progress';
import { migration016 } from './016-one-event-index-of-checkins';

/**
 * One schema step: `sql`, then `run` (for data SQL cannot compute, such as folded search words),
 * in one transaction, after which `PRAGMA user_version` is `version`.
 */
export type Migration = { version: number; name: string; sql: string; run?: (db: Database.Database) => void };

/** In order, versions 1, 2, …; a shipped migration is never edited, only followed by a new one. */
export const MIGRATIONS: readonly Migration[] = [
  migration001,
  migration002,
  migration003,
  migration004,
  migration005,
  migration006,
  migration007,
  migration008,
  migration009,
  migration010,
  migration011,
  migration012,
  migration013,
  migration014,
  migration015,
  migration016,
];

/** The schema version this code writes; a file with a higher `user_version` is refused. */
export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
