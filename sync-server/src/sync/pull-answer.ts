import type { PullResponse } from '@gatehouse/protocol';
import { JsonAnswer, Utf8Writer } from '../http/json-answer';
import type { PulledChange } from '../store/rows';

/** A pull page before serialization: `PullResponse` with the changes as the store read them. */
export type PullPage = Omit<PullResponse, 'changes'> & { changes: PulledChange[] };

/**
 * The page as the JSON `JSON.stringify` makes of the `PullResponse` object — the same fields in
 * the same order (`{changes: [{bucket, seq, type, id, rev, doc}], cursor, hasMore, bucketsAdded,
 * bucketsRemoved, remaining}`), byte for byte — written into one buffer. A doc the store kept as
 * text (`docJson`, SQLite) is copied in as it is: its text is `JSON.stringify` of the doc, and
 * parsing and stringifying such text again gives the same text. A parsed doc (MongoDB) is
 * stringified. Proven equal by sync-server/test/sync-pull-bytes.int.test.ts on both stores.
 */
export function pullAnswer(page: PullPage): JsonAnswer<PullResponse> {
  // Each change's JSON as one string first: their total length sizes the buffer (exact for ASCII).
  const pieces: string[] = [];
  let length = 0;
  // One quoted bucket per run of changes: a page holds a handful of buckets, in runs.
  let bucket: string | undefined;
  let quotedBucket = '';
  let separator = '';
  for (const change of page.changes) {
    if (change.bucket !== bucket) {
      bucket = change.bucket;
      quotedBucket = JSON.stringify(bucket);
    }
    const doc = 'docJson' in change ? (change.docJson ?? 'null') : JSON.stringify(change.doc ?? null);
    const piece =
      `${separator}{"bucket":${quotedBucket},"seq":${change.seq},"type":${JSON.stringify(change.type)},` +
      `"id":${JSON.stringify(change.id)},"rev":${change.rev},"doc":${doc}}`;
    pieces.push(piece);
    length += piece.length;
    separator = ',';
  }
  const tail: Omit<PullResponse, 'changes'> = {
    cursor: page.cursor,
    hasMore: page.hasMore,
    bucketsAdded: page.bucketsAdded,
    bucketsRemoved: page.bucketsRemoved,
    remaining: page.remaining,
  };
  // `{"cursor":…}` without its opening brace continues the object after the changes.
  const end = `],${JSON.stringify(tail).slice(1)}`;
  const out = new Utf8Writer(length + end.length + 16);
  out.write('{"changes":[');
  for (const piece of pieces) out.write(piece);
  out.write(end);
  return new JsonAnswer(out.bytes());
}
