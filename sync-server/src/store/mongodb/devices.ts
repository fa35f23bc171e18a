import type { Collection, Filter } from 'mongodb';
import { touchIsRecorded } from '../device-touch';
import type { After, DeviceRepository } from '../port';
import type { DeviceRow } from '../rows';
import type { StoreContext } from './context';
import { COLLECTIONS } from './documents';
import { afterKey, upsertRacing } from './queries';

type DeviceDoc = {
  _id: string;
  userId: string;
  name: string | null;
  /** Missing only where an upsert's `$setOnInsert` was skipped (FerretDB); `touch` writes it then. */
  firstSeenAt?: string;
  lastSeenAt: string;
  revoked: boolean;
  revokedAt?: string | null;
  clockOffsetMs: number | null;
  /** Missing on devices recorded before sessions were. */
  sessionId?: string | null;
};

/** Defaults guard rows from an upsert whose `$setOnInsert` the database skipped (seen on FerretDB). */
function toRow(doc: DeviceDoc): DeviceRow {
  return {
    id: doc._id,
    userId: doc.userId,
    name: doc.name ?? null,
    firstSeenAt: doc.firstSeenAt ?? doc.lastSeenAt,
    lastSeenAt: doc.lastSeenAt,
    revoked: doc.revoked === true,
    revokedAt: doc.revokedAt ?? null,
    clockOffsetMs: doc.clockOffsetMs ?? null,
    sessionId: doc.sessionId ?? null,
  };
}

/** The device registry: which devices sync, for whom, when last seen, how far their clock is off. */
export class MongoDevices implements DeviceRepository {
  private readonly devices: Collection<DeviceDoc>;

  constructor(context: StoreContext) {
    this.devices = context.db.collection<DeviceDoc>(COLLECTIONS.devices);
  }

  async touch(input: Parameters<DeviceRepository['touch']>[0]): Promise<DeviceRow> {
    // A read by _id (FerretDB too answers it from its index) instead of a write, most of the time;
    // a document still missing firstSeenAt is written below, which repairs it.
    const stored = await this.devices.findOne({ _id: input.deviceId });
    if (stored?.firstSeenAt !== undefined && touchIsRecorded(toRow(stored), input)) return toRow(stored);
    const set: Partial<DeviceDoc> = { userId: input.userId, lastSeenAt: input.at };
    if (input.clockOffsetMs !== undefined) set.clockOffsetMs = input.clockOffsetMs;
    if (input.sessionId !== undefined) set.sessionId = input.sessionId;
    // Two first syncs of one device may race to insert it.
    const doc = await upsertRacing(() =>
      this.devices.findOneAndUpdate(
        { _id: input.deviceId },
        {
          $set: set,
          $setOnInsert: {
            name: null,
            firstSeenAt: input.at,
            revoked: false,
            revokedAt: null,
            ...(input.clockOffsetMs === undefined ? { clockOffsetMs: null } : {}),
          },
        },
        { upsert: true, returnDocument: 'after' },
      ),
    );
    if (!doc) throw new Error(`device ${input.deviceId} vanished during upsert`);
    if (doc.firstSeenAt === undefined) {
      // The list pages on firstSeenAt, so it must be stored: written once, only where still missing.
      await this.devices.updateOne(
        { _id: input.deviceId, firstSeenAt: { $exists: false } },
        { $set: { firstSeenAt: input.at } },
      );
    }
    return toRow(doc);
  }

  async findById(id: string): Promise<DeviceRow | null> {
    const doc = await this.devices.findOne({ _id: id });
    return doc ? toRow(doc) : null;
  }

  async list(scope: { userId?: string }, after: After<string> | undefined, limit: number): Promise<DeviceRow[]> {
    const and: Filter<DeviceDoc>[] = [afterKey<DeviceDoc>('firstSeenAt', 1, after)];
    if (scope.userId !== undefined) and.push({ userId: scope.userId });
    const docs = await this.devices
      .find({ $and: and })
      .sort({ firstSeenAt: 1, _id: 1 })
      .limit(limit + 1)
      .toArray();
    return docs.map(toRow);
  }

  async revoke(id: string, scope: { userId?: string }, at: string): Promise<DeviceRow | null> {
    const filter: Filter<DeviceDoc> = scope.userId === undefined ? { _id: id } : { _id: id, userId: scope.userId };
    const doc = await this.devices.findOneAndUpdate(
      filter,
      { $set: { revoked: true, revokedAt: at } },
      { returnDocument: 'after' },
    );
    return doc ? toRow(doc) : null;
  }
}
