import type { z } from 'zod';

/**
 * An answer already serialized: its JSON as UTF-8 bytes, for a hot path that assembles the text
 * itself (a pull page, from the change log's stored docs: sync/pull-answer.ts). `serve` sends the
 * bytes as they are, `application/json`; where answers are checked (tests, development:
 * `checkAnswers`) it first checks their parse against the route's response schema. `T` is the
 * answer's shape, named for the handler's type only.
 */
export class JsonAnswer<T> {
  /** Never set: carries `T`, so a handler cannot answer another route's shape as bytes. */
  declare readonly shape?: T;

  constructor(readonly bytes: Buffer) {}

  /**
   * The bytes parsed and checked against `schema`; throws (a 500 to the caller) when they do not
   * match it, naming the first issue. Used where answers are checked, never on the hot path.
   */
  check(schema: z.ZodType): void {
    const result = schema.safeParse(JSON.parse(this.bytes.toString('utf8')));
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new Error(
        `Pre-serialized answer does not match the response schema at ${issue?.path.map(String).join('.')}: ${issue?.message}`,
      );
    }
  }
}

/**
 * Appends UTF-8 text into one buffer, to build a large JSON answer from pieces without a string of
 * the whole answer (whose UTF-8 encoding and length Node would otherwise compute again when writing
 * it to the socket). Sized by the caller's estimate; it grows (doubling) only when a piece does not
 * fit, since each grow copies what was written and touches fresh memory — 7% of the server's time
 * per pulled page when the buffer started small.
 */
export class Utf8Writer {
  private buffer: Buffer;
  private length = 0;

  /** `expectedBytes`: what the caller expects to write (e.g. the pieces' total length if ASCII). */
  constructor(expectedBytes: number) {
    this.buffer = Buffer.allocUnsafe(Math.max(1024, expectedBytes));
  }

  /** Appends `text`, UTF-8 encoded (lone surrogates as U+FFFD, as Buffer.from does; JSON text has none). */
  write(text: string): void {
    // A UTF-16 unit is at most 3 UTF-8 bytes: with room for that, `write` cannot truncate. Near the
    // end the exact length decides, so a page of ASCII fills the estimate without a grow.
    if (this.length + text.length * 3 > this.buffer.length) {
      const needed = this.length + Buffer.byteLength(text, 'utf8');
      if (needed > this.buffer.length) this.grow(needed);
    }
    this.length += this.buffer.write(text, this.length, 'utf8');
  }

  /** The bytes written so far: a view of the writer's buffer, valid until the next write. */
  bytes(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  private grow(needed: number): void {
    const next = Buffer.allocUnsafe(Math.max(needed, this.buffer.length * 2));
    this.buffer.copy(next, 0, 0, this.length);
    this.buffer = next;
  }
}
