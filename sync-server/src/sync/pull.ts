import { eventBucket, userBucket, type Change, type PullQuery, type PullResponse } from '@gatehouse/protocol';
import type { AppContext } from '../context';
import type { UserDoc } from '../users/store';
import type { ChangeDoc } from './changelog';
import type { CursorCodec, CursorPositions } from './cursor';
import { logUserProfile } from './userChanges';

/** The buckets a user's devices receive, evaluated now: their own, and each event they may see. */
export async function bucketsOf(ctx: AppContext, user: UserDoc): Promise<string[]> {
  const eventIds = await ctx.events.accessibleEventIds(user);
  return [userBucket(user._id), ...[...eventIds].sort().map(eventBucket)];
}

function toWire(change: ChangeDoc): Change {
  return {
    bucket: change.bucket,
    seq: change.seq,
    type: change.type,
    id: change.id,
    rev: change.rev,
    doc: change.doc,
  } as Change;
}

/**
 * One page of changes since the cursor. Each bucket is read with `readContiguous`, which never moves
 * past a seq whose writer has not finished (see changelog.ts), so a position in the cursor is a
 * promise that every change at or below it has been delivered. Access is evaluated on every pull:
 * a bucket in the cursor that is no longer allowed is reported in `bucketsRemoved` (the device purges
 * it) and dropped from the next cursor; a newly allowed one starts from seq 0 in `bucketsAdded`.
 */
export async function pullChanges(
  ctx: AppContext,
  codec: CursorCodec,
  user: UserDoc,
  query: PullQuery,
): Promise<PullResponse> {
  const previous: CursorPositions = query.cursor ? codec.decode(user._id, query.cursor) : {};
  const buckets = await bucketsOf(ctx, user);
  const allowed = new Set(buckets);
  const bucketsRemoved = Object.keys(previous).filter((bucket) => !allowed.has(bucket));
  const bucketsAdded = buckets.filter((bucket) => previous[bucket] === undefined);
  const next: CursorPositions = {};
  for (const bucket of buckets) next[bucket] = previous[bucket] ?? 0;

  const heads = new Map<string, number>();
  const counters = await ctx.changeLog.counters.find({ _id: { $in: buckets } }, { projection: { seq: 1 } }).toArray();
  for (const counter of counters) heads.set(counter._id, counter.seq);
  // A user bucket with nothing in it yet gets the profile once, so a device has it from its first pull.
  const ownBucket = userBucket(user._id);
  if (!heads.get(ownBucket)) {
    await logUserProfile(ctx.changeLog, ctx.users, user._id);
    heads.set(ownBucket, await ctx.changeLog.headSeq(ownBucket));
  }

  const changes: Change[] = [];
  let budget = query.limit;
  let hasMore = false;
  for (const bucket of buckets) {
    const from = next[bucket]!;
    const head = heads.get(bucket) ?? 0;
    if (head <= from) continue;
    if (budget <= 0) {
      hasMore = true;
      continue;
    }
    const page = await ctx.changeLog.readContiguous(bucket, from, budget);
    for (const change of page.changes) changes.push(toWire(change));
    next[bucket] = page.upTo;
    const consumed = page.upTo - from;
    budget -= consumed;
    // Stopped because the page was full (not at an unfinished write): more is ready right now.
    if (budget <= 0 && page.upTo < head) hasMore = true;
  }

  let remaining = 0;
  for (const bucket of buckets) remaining += Math.max(0, (heads.get(bucket) ?? 0) - next[bucket]!);
  return {
    changes,
    cursor: codec.encode(user._id, next),
    hasMore,
    bucketsAdded,
    bucketsRemoved,
    remaining,
  };
}
