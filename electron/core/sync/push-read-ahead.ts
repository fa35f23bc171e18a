import { MAX_PUSH_BATCH, type PushRequest } from '@gatehouse/protocol';
import { PreparedJson } from '../api/prepared-json';
import { PUSH_MAX_BYTES } from './batch-size';
import type { Outbox, WireEntry } from './outbox';

/** One push as it goes out: its entries (outbox order) and its body, encoded. */
export type PushBatch = { entries: ReadonlyArray<{ seq: number; id: string }>; body: PreparedJson<PushRequest> };

const PREFIX_TEXT = '{"mutations":[';
const SUFFIX_TEXT = ']}';
const PREFIX = Buffer.from(PREFIX_TEXT);
const SUFFIX = Buffer.from(SUFFIX_TEXT);
const COMMA = Buffer.from(',');

/**
 * Entries read ahead for the next push in one go (a few milliseconds): between slices the event
 * loop writes the request on the wire and answers scans.
 */
const READ_AHEAD_SLICE = 500;

/**
 * The outbox read and encoded ahead of the push lane: while one batch is on the wire, the next is
 * read and its body built, so it leaves the moment the first is answered in full (ARCHITECTURE §2
 * step 3). Holding entries ahead is safe because a queued mutation's row never changes: the outbox
 * only grows at its end (`append`, `requeue`, with new seqs — AUTOINCREMENT never reuses one) and
 * loses entries only when an answer names them (`takeMany`), which only a sent batch can get; no
 * write rewrites or coalesces a queued one (a void or a cancel is a mutation of its own, queued
 * after). Nothing is written for what is held: an entry counts as attempted only once it is sent
 * (the lane's `markAttempted`), so entries dropped by `restart` leave no trace.
 */
export class PushReadAhead {
  /** Entries read ahead, each with `bytes`: its envelope's UTF-8 length and its comma. */
  private held: Array<WireEntry & { bytes: number }> = [];
  /**
   * The body of a push of everything held, UTF-8 (`{"mutations":[` the envelopes joined by commas
   * `]}`); `ends[i]` is where entry i's bytes end in it.
   */
  private encoded: Buffer = Buffer.alloc(0);
  private ends: number[] = [];
  /** Sum of the held entries' `bytes`: a body of them all is at most this and 16 bytes more. */
  private heldBytes = 0;
  /** Entries after this seq are read next: the last one held (or taken). */
  private afterSeq = 0;

  constructor(
    private readonly outbox: Outbox,
    /** Most entries held: a batch's worth (MAX_PUSH_BATCH). */
    private readonly maxEntries = MAX_PUSH_BATCH,
    /** Most bytes of envelopes in one batch (PUSH_MAX_BYTES); what is held stops at a batch's worth. */
    private readonly maxBytes = PUSH_MAX_BYTES,
  ) {}

  /**
   * Forgets what is held and reads from the head of the outbox next: a new round, or after an
   * answer that left some of its batch unanswered (those go first again).
   */
  restart(): void {
    this.held = [];
    this.encoded = Buffer.alloc(0);
    this.ends = [];
    this.heldBytes = 0;
    this.afterSeq = 0;
  }

  /** How many entries are held (read and encoded, not yet taken). */
  get size(): number {
    return this.held.length;
  }

  /**
   * Reads and encodes the entries queued after those held, until `upTo` entries (a whole batch's
   * worth by default: maxEntries) or maxBytes are held — at least one entry when none is held.
   * One indexed query; none when that much is held already.
   */
  fill(upTo = this.maxEntries): void {
    const room = Math.min(upTo, this.maxEntries) - this.held.length;
    if (room <= 0 || (this.held.length > 0 && this.heldBytes >= this.maxBytes)) return;
    const rows = this.outbox.peekWire(room, this.afterSeq);
    const fresh: Array<WireEntry & { bytes: number }> = [];
    for (const row of rows) {
      const bytes = Buffer.byteLength(row.json) + COMMA.length;
      if (this.held.length + fresh.length > 0 && this.heldBytes + bytes > this.maxBytes) break;
      this.heldBytes += bytes;
      fresh.push({ ...row, bytes });
    }
    if (fresh.length === 0) return;
    const joined = fresh.map((entry) => entry.json).join(',');
    // Where the fresh entries start: after the prefix, or after the held ones and a comma.
    let at = this.held.length === 0 ? PREFIX.length : this.encoded.length - SUFFIX.length + COMMA.length;
    for (const entry of fresh) {
      at += entry.bytes - COMMA.length;
      this.ends.push(at);
      at += COMMA.length;
    }
    this.encoded =
      this.held.length === 0
        ? Buffer.from(`${PREFIX_TEXT}${joined}${SUFFIX_TEXT}`) // one encoding, no copy
        : Buffer.concat([
            this.encoded.subarray(0, this.encoded.length - SUFFIX.length),
            COMMA,
            Buffer.from(joined),
            SUFFIX,
          ]);
    this.held.push(...fresh);
    this.afterSeq = fresh[fresh.length - 1]!.seq;
  }

  /**
   * Reads the next batch ahead in slices of READ_AHEAD_SLICE entries with a turn of the event loop
   * before each: the request just sent is written (on a fresh connection it still has to connect)
   * and a scan is answered between slices. Stops once a batch's worth is held, the outbox has no
   * more, `answer` has settled (`take` reads what is missing then) or `stopped()`.
   */
  async fillWhile(answer: Promise<unknown>, stopped: () => boolean): Promise<void> {
    let answered = false;
    const settle = () => {
      answered = true;
    };
    answer.then(settle, settle);
    for (;;) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (answered || stopped()) return;
      const held = this.size;
      this.fill(held + READ_AHEAD_SLICE);
      if (this.size === held) return;
    }
  }

  /**
   * The next batch: the oldest held entries (after topping up from the outbox, so a write queued
   * since the last read goes too), at most `limit`, cut where their envelopes pass maxBytes (always
   * at least one). Null when the outbox holds nothing after what was taken before.
   */
  take(limit: number): PushBatch | null {
    this.fill(limit);
    let count = 0;
    let bytes = 0;
    while (count < this.held.length && count < limit) {
      const next = bytes + this.held[count]!.bytes;
      if (count > 0 && next > this.maxBytes) break;
      bytes = next;
      count += 1;
    }
    if (count === 0) return null;
    const entries = this.held.splice(0, count).map(({ seq, id }) => ({ seq, id }));
    this.heldBytes -= bytes;
    let body: Buffer;
    if (this.held.length === 0) {
      // Everything held (a full batch of a backlog): the body is ready as it is.
      body = this.encoded;
      this.encoded = Buffer.alloc(0);
      this.ends = [];
    } else {
      // Part of it (batches still growing, or a byte cut): copies, the rest with the prefix again.
      const end = this.ends[count - 1]!;
      body = Buffer.concat([this.encoded.subarray(0, end), SUFFIX]);
      const restStart = end + COMMA.length;
      this.encoded = Buffer.concat([PREFIX, this.encoded.subarray(restStart)]);
      this.ends = this.ends.slice(count).map((at) => at - restStart + PREFIX.length);
    }
    return { entries, body: new PreparedJson<PushRequest>(body) };
  }
}
