import type { Db } from '../db/open';

/**
 * `phase`: the account's SyncPhase (protocol); absent means `ready` (databases from before phases).
 * `protocol`: the protocol version the rows were pulled with (absent: 1); `refreshing`: set while the
 * buckets are pulled again after it grew (AccountStore.refreshForProtocol).
 */
export type SyncStateKey =
  | 'cursor'
  | 'hlc'
  | 'lastSyncAt'
  | 'clockSkewMs'
  | 'initialSyncDone'
  | 'phase'
  | 'protocol'
  | 'refreshing'
  /** After an initial sync: the bookings rowid up to which photo rows were entered (photos/fetcher.ts). */
  | 'photosFilledTo';

/** Small key-value rows next to the data they describe, so they commit in the same transactions. */
export class SyncState {
  private readonly read;
  private readonly write;
  private readonly erase;
  constructor(db: Db) {
    this.read = db.prepare('SELECT value FROM sync_state WHERE key = ?');
    this.write = db.prepare(
      'INSERT INTO sync_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    );
    this.erase = db.prepare('DELETE FROM sync_state WHERE key = ?');
  }
  get(key: SyncStateKey): string | null {
    return (this.read.get(key) as { value: string } | undefined)?.value ?? null;
  }
  set(key: SyncStateKey, value: string | null): void {
    if (value === null) this.erase.run(key);
    else this.write.run(key, value);
  }
}
