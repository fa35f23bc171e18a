import { GatehouseError, type Device } from '@gatehouse/protocol';
import type { Collection, Db, Filter } from 'mongodb';
import { upsertRacing } from '../db/mongo';
import { afterCursorFilter, toPage } from '../http/pagination';

export type DeviceDoc = {
  /** The device's own UUID, sent as X-Device-Id on every sync call. */
  _id: string;
  userId: string;
  name: string | null;
  firstSeenAt: string;
  lastSeenAt: string;
  revoked: boolean;
  revokedAt?: string;
  clockOffsetMs: number | null;
};

export function toDevice(doc: DeviceDoc): Device {
  // Defaults guard rows from an upsert whose $setOnInsert the database skipped (seen on FerretDB).
  return {
    id: doc._id,
    userId: doc.userId,
    name: doc.name ?? null,
    firstSeenAt: doc.firstSeenAt ?? doc.lastSeenAt,
    lastSeenAt: doc.lastSeenAt,
    revoked: doc.revoked === true,
    clockOffsetMs: doc.clockOffsetMs ?? null,
  };
}

/**
 * The device registry: which devices sync, for whom, when they were last seen and how far their
 * clock is off. Revocation is per device: a lost tablet stops syncing while its user's other
 * devices carry on.
 */
export class DeviceStore {
  readonly devices: Collection<DeviceDoc>;
  constructor(db: Db) {
    this.devices = db.collection<DeviceDoc>('devices');
  }

  async ensureIndexes(): Promise<void> {
    await this.devices.createIndex({ userId: 1, lastSeenAt: -1 });
    await this.devices.createIndex({ lastSeenAt: -1, _id: -1 });
  }

  /**
   * Records that `deviceId` synced for `userId` (one upsert) and refuses a revoked device. The device
   * follows its latest user: a shared tablet signed in by someone else now belongs to them.
   */
  async touch(deviceId: string, userId: string, clockOffsetMs?: number): Promise<DeviceDoc> {
    const now = new Date().toISOString();
    const set: Partial<DeviceDoc> = { userId, lastSeenAt: now };
    if (clockOffsetMs !== undefined) set.clockOffsetMs = clockOffsetMs;
    const upsert = () =>
      this.devices.findOneAndUpdate(
        { _id: deviceId },
        {
          $set: set,
          $setOnInsert: {
            name: null,
            firstSeenAt: now,
            revoked: false,
            ...(clockOffsetMs === undefined ? { clockOffsetMs: null } : {}),
          },
        },
        { upsert: true, returnDocument: 'after' },
      );
    // Two first syncs of one device may race to insert it.
    const doc: DeviceDoc | null = await upsertRacing(upsert);
    if (!doc) throw new Error(`device ${deviceId} vanished during upsert`);
    if (doc.revoked) {
      throw new GatehouseError(
        'FORBIDDEN',
        'This device was revoked by an administrator or its owner; it can no longer sync',
      );
    }
    return doc;
  }

  findById(id: string): Promise<DeviceDoc | null> {
    return this.devices.findOne({ _id: id });
  }

  /** Admins list every device; everyone else only their own (the filter is in the query). */
  async list(viewer: { _id: string; isAdmin: boolean }, query: { limit: number; cursor?: string | undefined }) {
    const scope: Filter<DeviceDoc> = viewer.isAdmin ? {} : { userId: viewer._id };
    const filter: Filter<DeviceDoc> = { $and: [scope, afterCursorFilter<DeviceDoc>('lastSeenAt', -1, query.cursor)] };
    const rows = await this.devices
      .find(filter)
      .sort({ lastSeenAt: -1, _id: -1 })
      .limit(query.limit + 1)
      .toArray();
    return toPage(rows, query.limit, (row) => row.lastSeenAt, toDevice);
  }

  /** Revokes a device its owner (or an admin) names; someone else's device is NOT_FOUND, not FORBIDDEN. */
  async revoke(viewer: { _id: string; isAdmin: boolean }, id: string): Promise<DeviceDoc> {
    const scope: Filter<DeviceDoc> = viewer.isAdmin ? { _id: id } : { _id: id, userId: viewer._id };
    const doc = await this.devices.findOneAndUpdate(
      scope,
      { $set: { revoked: true, revokedAt: new Date().toISOString() } },
      { returnDocument: 'after' },
    );
    if (!doc) throw new GatehouseError('NOT_FOUND', 'Device not found');
    return doc;
  }
}
