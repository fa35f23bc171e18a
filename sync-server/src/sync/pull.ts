import { eventBucket, PROTOCOL_DOOR_RECORDS, userBucket, type PullQuery } from '@gatehouse/protocol';
import type { AppContext } from '../context';
import type { PulledChange, UserRow } from '../store/rows';
import type { CursorCodec, CursorPositions } from './cursor';
import type { PullPage } from './pull-answer';

/** The buckets a user's devices receive, evaluated now: their own, and each event they may see. */
export async function bucketsOf(ctx: AppContext, user: UserRow): Promise<string[]> {
  const eventIds = await ctx.events.accessibleEventIds(user);
  return [userBucket(user.id), ...[...eventIds].sort().map(eventBucket)];
}

/**
 * Whether a device speaking `protocolVersion` can read this change. A version-1 device fails a
 * whole page on a row it does not know (a void check-in, a refusal), so it is not sent one; its cursor still
 * moves past it, and the device pulls its buckets again once its version grows (electron/core).
 */
export function readableBy(change: PulledChange, protocolVersion: number): boolean {
  if (protocolVersion >= PROTOCOL_DOOR_RECORDS) return true;
  if (change.type === 'refusal') return false;
  if (change.type !== 'checkin') return true;
  // Only an old device's check-ins need their doc read: a stored text is parsed for this alone.
  const doc =
    'docJson' in change ? (change.docJson === null ? null : (JSON.parse(change.docJson) as unknown)) : change.doc;
  return (doc as { direction?: unknown } | null)?.direction !== 'void';
}

/**
 * One page of changes since the cursor. Each bucket is read with `ChangeFeed.readForPull` (`read`, docs as stored), which never moves
 * past a seq whose writer has not finished, so a position in the cursor is a
 * promise that every change at or below it has been delivered. Access is evaluated on every pull:
 * a bucket in the cursor that is no longer allowed is reported in `bucketsRemoved` (the device purges
 * it) and dropped from the next cursor; a newly allowed one starts from seq 0 in `bucketsAdded`.
 * The route sends the page as `pullAnswer` serializes it (pull-answer.ts).
 */
export async function pullChanges(
  ctx: AppContext,
  codec: CursorCodec,
  user: UserRow,
  query: PullQuery,
  protocolVersion: number,
): Promise<PullPage> {
  const previous: CursorPositions = query.cursor ? codec.decode(user.id, query.cursor) : {};
  const buckets = await bucketsOf(ctx, user);
  const allowed = new Set(buckets);
  const bucketsRemoved = Object.keys(previous).filter((bucket) => !allowed.has(bucket));
  const bucketsAdded = buckets.filter((bucket) => previous[bucket] === undefined);
  const next: CursorPositions = {};
  for (const bucket of buckets) next[bucket] = previous[bucket] ?? 0;

  const heads = await ctx.store.changes.heads(buckets);
  // A user bucket with nothing in it yet gets the profile once, so a device has it from its first pull.
  const ownBucket = userBucket(user.id);
  if (!heads.get(ownBucket)) {
    await ctx.store.users.publish(user.id);
    heads.set(ownBucket, (await ctx.store.changes.heads([ownBucket])).get(ownBucket) ?? 0);
  }

  const changes: PulledChange[] = [];
  let budget = query.limit;
  let hasMore = false;
  // Every bucket is read rather than skipped by its head: on MongoDB the head is only a hint (it
  // can lag the log), and the log itself is the truth.
  for (const bucket of buckets) {
    const from = next[bucket]!;
    if (budget <= 0) {
      // Full page: another may well be ready; one more pull settles it cheaply.
      hasMore = true;
      break;
    }
    const page = await ctx.store.changes.readForPull(bucket, from, budget);
    for (const change of page.changes) if (readableBy(change, protocolVersion)) changes.push(change);
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
    cursor: codec.encode(user.id, next),
    hasMore,
    bucketsAdded,
    bucketsRemoved,
    remaining,
  };
}
