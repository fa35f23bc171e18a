/**
 * Pacing of pulls under a stream of others' check-ins (#15). A page that brought at least
 * STREAM_PULL_MIN_CHANGES changes without filling up marks a stream: the next page — the same
 * round's, when the page says more are waiting, or the next poke's — is asked for no sooner than
 * STREAM_PULL_INTERVAL_MS after that page was, and takes everything that landed meanwhile. A full
 * page (a backlog) is followed at once. A pull costs a device ~6 ms of fixed work (the request, its
 * commit, notifications) beside ~45 µs a change, and the server a request of its own; at 900
 * check-ins/s from 5 gates a device pulled 19 times a second, 48 changes each, and spent 4× the CPU
 * per check-in of pulls of 360. One check-in at a time (1–3 changes a page) is never paced, so an
 * idle door's propagation is not delayed; under a stream others' check-ins reach a door at most
 * this much later.
 */
export const STREAM_PULL_MIN_CHANGES = 20;
export const STREAM_PULL_INTERVAL_MS = 100;

/** The pull lane's pace: when the last stream page was asked for, and the wait it imposes. */
export class PullPacer {
  /** When the last page was asked for (performance.now()), if it brought a stream's worth of changes. */
  private streamPageAskedAt: number | null = null;
  /** Ends a wait at once (stop). */
  private wake: (() => void) | null = null;

  /**
   * Notes a page asked for at `askedAt` (performance.now(), ms) that brought `changes` changes, and
   * answers until when the page after it must wait (0: not at all). `full`: the page was full, so
   * more are waiting right now (a backlog) and the next page goes at once.
   */
  pageArrived(changes: number, askedAt: number, full: boolean): number {
    const stream = changes >= STREAM_PULL_MIN_CHANGES;
    this.streamPageAskedAt = stream ? askedAt : null;
    return stream && !full ? askedAt + STREAM_PULL_INTERVAL_MS : 0;
  }

  /** Waits, at the start of a round, for the pace a stream page set (at once when there is none). */
  beforeRound(stopped: () => boolean): Promise<void> {
    if (this.streamPageAskedAt === null) return Promise.resolve();
    return this.waitUntil(this.streamPageAskedAt + STREAM_PULL_INTERVAL_MS, stopped);
  }

  /** Resolves at `until` (performance.now(), ms), or at once when stopped or `stop` is called. */
  waitUntil(until: number, stopped: () => boolean): Promise<void> {
    const wait = until - performance.now();
    if (wait <= 0 || stopped()) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve();
      }, wait);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
    });
  }

  /** Ends a wait in progress at once. */
  stop(): void {
    this.wake?.();
  }
}
