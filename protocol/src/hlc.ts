/**
 * Hybrid logical clock: wall-clock milliseconds, a counter for events within the same millisecond,
 * and the node id as a tie-breaker. Serialised so that string order equals causal order:
 * `000001732483200000:00000:<node>`.
 *
 * Unlike textbook HLCs this one never refuses a remote timestamp far in the future: a device whose
 * clock is a day off still syncs, and its skew is reported rather than rejected (docs/ARCHITECTURE.md §3, P8).
 */
export type Hlc = { wallMs: number; counter: number; node: string };

const WALL_DIGITS = 15;
const COUNTER_DIGITS = 5;
const MAX_COUNTER = 10 ** COUNTER_DIGITS - 1;
const HLC_PATTERN = /^(\d{15}):(\d{5}):([A-Za-z0-9_-]{1,64})$/;

export function formatHlc(hlc: Hlc): string {
  return `${String(hlc.wallMs).padStart(WALL_DIGITS, '0')}:${String(hlc.counter).padStart(COUNTER_DIGITS, '0')}:${hlc.node}`;
}

export function parseHlc(text: string): Hlc | null {
  const match = HLC_PATTERN.exec(text);
  if (!match) return null;
  return { wallMs: Number(match[1]), counter: Number(match[2]), node: match[3]! };
}

export function compareHlc(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A clock owned by one node; `now` is injectable so tests can skew it. */
export class HybridClock {
  private last: Hlc;
  constructor(
    readonly node: string,
    private readonly now: () => number = Date.now,
    restored?: string,
  ) {
    this.last = (restored && parseHlc(restored)) || { wallMs: 0, counter: 0, node };
    this.last = { ...this.last, node };
  }

  /** Timestamp for a local event. */
  tick(): string {
    const wall = this.now();
    if (wall > this.last.wallMs) this.last = { wallMs: wall, counter: 0, node: this.node };
    else this.last = this.bump(this.last.wallMs, this.last.counter + 1);
    return formatHlc(this.last);
  }

  /** Merges a timestamp seen from elsewhere so later local events sort after it. */
  receive(remote: string): string {
    const other = parseHlc(remote);
    if (!other) return formatHlc(this.last);
    const wall = this.now();
    const maxWall = Math.max(wall, this.last.wallMs, other.wallMs);
    let counter = 0;
    if (maxWall === this.last.wallMs && maxWall === other.wallMs)
      counter = Math.max(this.last.counter, other.counter) + 1;
    else if (maxWall === this.last.wallMs) counter = this.last.counter + 1;
    else if (maxWall === other.wallMs) counter = other.counter + 1;
    this.last = this.bump(maxWall, counter);
    return formatHlc(this.last);
  }

  current(): string {
    return formatHlc(this.last);
  }

  private bump(wallMs: number, counter: number): Hlc {
    // Counter overflow within one millisecond borrows the next millisecond instead of wrapping.
    return counter > MAX_COUNTER
      ? { wallMs: wallMs + 1, counter: 0, node: this.node }
      : { wallMs, counter, node: this.node };
  }
}

export const hlcSchemaPattern = HLC_PATTERN;
