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
  // Every bucket is read rather than skipped by its counter: the counter is only a hint (it can lag
  // the log on FerretDB), and the log itself is the truth. The hint picks point or range reads.
  for (const bucket of buckets) {
    const from = next[bucket]!;
    if (budget <= 0) {
      // Full page: another may well be ready; one more pull settles it cheaply.
      hasMore = true;
      break;
    }
    const page = await ctx.changeLog.readContiguous(bucket, from, budget, heads.get(bucket) ?? 0);
    for (const change of page.changes) changes.push(toWire(change));
    next[bucket] = page.upTo;
    budget -= page.upTo - from;
  }

  // A page filled to the last row by the last bucket: more may be waiting there too.
  if (budget <= 0) hasMore = true;

  let remaining = 0;
  for (const bucket of buckets) remaining += Math.max(0, (heads.get(bucket) ?? 0) - next[bucket]!);
  if (budget <= 0 && remaining === 0) remaining = 1;
  return {
    changes,
    cursor: codec.encode(user._id, next),
    hasMore,
    bucketsAdded,
    bucketsRemoved,
    remaining,
  };
}
