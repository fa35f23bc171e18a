import type { PhotoFetcher } from './photos/fetcher';
import { GatehouseError, hasRoleAtLeast, type MutationName, type Role } from '@gatehouse/protocol';
import type { ServerApi } from './api/client';
import type { BookingQueries } from './bookings/queries';
import type { CheckinQueries } from './checkins/queries';
import { Scanner } from './checkins/scan';
import type { SearchIndexer } from './bookings/search-index';
import type { EventQueries } from './events/queries';
import type { AccountTokens } from './session/tokens';
import type { AccountStore, DataChange } from './store';
import { type MutationMeta, targetOf } from './sync/effects';
import type { SyncEngine } from './sync/engine';

export type LocalUser = { id: string; email: string; name: string; role: Role };

/** The parts of an open account, made by the core when a user signs in or unlocks. */
export type AccountParts = {
  key: string;
  user: LocalUser;
  serverUrl: string;
  store: AccountStore;
  tokens: AccountTokens;
  api: ServerApi;
  engine: SyncEngine;
  /** Builds the search index in bulk after an initial sync (phases `readyToScan`, `indexing`). */
  indexer: SearchIndexer;
  /** Fetches attendees' photos in the background once the initial sync is `ready`. */
  photoFetcher: PhotoFetcher;
  events: EventQueries;
  bookings: BookingQueries;
  /** Last scans, refused scans and alerts, for the door screens. */
  checkins: CheckinQueries;
  /** False after offline unlock without tokens, or once the server ended the session. */
  serverSession: boolean;
};

/** What the account needs from the device around it. */
export type AccountDevice = {
  deviceId: string;
  /** Device time corrected by the skew measured against the server (ms since the epoch, UTC). */
  trustedNow: () => number;
  /** A local write landed: tell the UI (data and sync status). */
  onLocalWrite: (change: DataChange) => void;
};

/**
 * An open account: its data, its server, and the one write path of every local mutation. Domain
 * commands (`<domain>/commands.ts`) and RPC handlers receive this, never the core; the core only
 * opens and closes accounts.
 */
export class Account implements AccountParts {
  readonly key: string;
  /** As last known: the profile screen's rename or email change, or the user's bucket, replace it (Core.applyProfile). */
  user: LocalUser;
  readonly serverUrl: string;
  readonly store: AccountStore;
  readonly tokens: AccountTokens;
  readonly api: ServerApi;
  readonly engine: SyncEngine;
  readonly indexer: SearchIndexer;
  readonly photoFetcher: PhotoFetcher;
  readonly events: EventQueries;
  readonly bookings: BookingQueries;
  readonly checkins: CheckinQueries;
  readonly scanner: Scanner;
  serverSession: boolean;

  constructor(
    parts: AccountParts,
    private readonly device: AccountDevice,
  ) {
    this.key = parts.key;
    this.user = parts.user;
    this.serverUrl = parts.serverUrl;
    this.store = parts.store;
    this.tokens = parts.tokens;
    this.api = parts.api;
    this.engine = parts.engine;
    this.indexer = parts.indexer;
    this.photoFetcher = parts.photoFetcher;
    this.events = parts.events;
    this.bookings = parts.bookings;
    this.checkins = parts.checkins;
    this.serverSession = parts.serverSession;
    this.scanner = new Scanner(this.store, {
      trustedNow: () => this.trustedNow(),
      record: (args) => this.mutate('checkin.record', args),
      refuse: (args) => this.mutate('scan.refuse', args),
    });
  }

  get deviceId(): string {
    return this.device.deviceId;
  }

  /** Device time corrected by the skew measured against the server (ms since the epoch). */
  trustedNow(): number {
    return this.device.trustedNow();
  }

  /** Who, where and when, for a mutation made now. */
  meta(): MutationMeta {
    return { userId: this.user.id, deviceId: this.device.deviceId, at: new Date(this.trustedNow()).toISOString() };
  }

  /**
   * The one write path of every local mutation (scans, walk-ins, cancels, event edits): the row's
   * change and the outbox entry in one SQLite transaction, visible at once, pushed soon.
   * VALIDATION_FAILED for args its schema refuses; STORAGE_FULL when the disk is full (nothing written).
   */
  mutate(name: MutationName, args: unknown, meta: MutationMeta = this.meta()) {
    const result = this.store.mutate(name, args, meta);
    const target = targetOf(name, args);
    const eventId = this.store.rows.get(target.table, target.id)?.event_id ?? '';
    this.device.onLocalWrite({ tables: [target.table], eventIds: [eventId] });
    this.engine.requestSync();
    return result;
  }

  /** This account, if its role is at least `minimum`; FORBIDDEN otherwise. */
  withRole(minimum: 'staff' | 'organizer' | 'admin'): this {
    if (!hasRoleAtLeast(this.user.role, minimum)) {
      throw new GatehouseError('FORBIDDEN', `This needs the ${minimum} role`);
    }
    return this;
  }

  /** This account, for calls that have no offline form; UNAUTHENTICATED when signed in offline. */
  online(): this {
    if (!this.serverSession) {
      throw new GatehouseError('UNAUTHENTICATED', 'Signed in offline: sign in online to use this');
    }
    return this;
  }
}
