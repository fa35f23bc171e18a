/**
 * Requests waiting for their answers over a port — the preload bridge's IPC, the browser host's
 * WebSocket, Electron main's token store, the bench's device processes: one id per request, an
 * optional time limit, and every waiting request failed at once when the port goes away. No I/O:
 * the caller sends the frame with the id it gets, and hands each answer to `settle`.
 */
export class PendingRequests<E = Error> {
  private nextId = 1;
  private readonly waiting = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: E) => void; timer: ReturnType<typeof setTimeout> | null }
  >();

  /**
   * A new request: its id (for the frame) and the promise of its answer. After `timeoutMs` (ms; null:
   * never) it is rejected with `onTimeout()` and forgotten, so a late answer is ignored.
   */
  start<T>(timeoutMs: number | null, onTimeout: () => E): { id: number; answer: Promise<T> } {
    const id = this.nextId++;
    const answer = new Promise<T>((resolve, reject) => {
      const timer =
        timeoutMs === null
          ? null
          : setTimeout(() => {
              this.waiting.delete(id);
              reject(onTimeout());
            }, timeoutMs);
      this.waiting.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
    });
    return { id, answer };
  }

  /** Answers request `id`; false when nothing waits for it (timed out, failed, or never asked). */
  settle(id: number, outcome: { ok: true; value: unknown } | { ok: false; error: E }): boolean {
    const entry = this.waiting.get(id);
    if (!entry) return false;
    this.waiting.delete(id);
    if (entry.timer !== null) clearTimeout(entry.timer);
    if (outcome.ok) entry.resolve(outcome.value);
    else entry.reject(outcome.error);
    return true;
  }

  /** Fails every waiting request (the port closed), except those `keep` names (e.g. not sent yet). */
  failAll(error: E, keep: (id: number) => boolean = () => false): void {
    for (const id of [...this.waiting.keys()]) {
      if (!keep(id)) this.settle(id, { ok: false, error });
    }
  }

  /** Forgets request `id` without answering it (its caller gave up). */
  drop(id: number): void {
    const entry = this.waiting.get(id);
    if (entry?.timer) clearTimeout(entry.timer);
    this.waiting.delete(id);
  }

  get size(): number {
    return this.waiting.size;
  }
}
