/** Bookkeeping of the change log's writes in flight (changelog/pending.ts), which the repair sweep never takes. */

/** How `inFlight` names a row's mark: the collection, the row and the mark's stamp (ms). */
export function markKey(target: { collection: { collectionName: string } }, rowId: string, stamp: Date): string {
  return `${target.collection.collectionName}\u0000${rowId}\u0000${stamp.getTime()}`;
}

/**
 * Keys held by writes in flight, counted: two writes of one row within the same millisecond share a
 * mark key, and the first to finish must not unprotect the other.
 */
export class InFlight {
  private readonly counts = new Map<string, number>();

  hold(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  release(key: string): void {
    const left = (this.counts.get(key) ?? 0) - 1;
    if (left > 0) this.counts.set(key, left);
    else this.counts.delete(key);
  }

  holds(key: string): boolean {
    return this.counts.has(key);
  }
}
