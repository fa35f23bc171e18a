import type { AnyBulkWriteOperation, Collection, Document, OptionalUnlessRequiredId } from 'mongodb';

type Waiting<T, R> = { item: T; resolve: (outcome: R) => void; reject: (error: unknown) => void };

/**
 * Group commit for single-document writes that many requests issue at once (a push applies 32
 * check-ins side by side, each with a claim, an intent and a result): while one bulk command is in
 * flight, further writes queue, and the next command carries them all. The first write goes out at
 * once, so a lone request waits for nothing. Each caller gets its own outcome, or its own error.
 */
export class GroupWriter<T, R> {
  private readonly queue: Waiting<T, R>[] = [];
  private draining = false;

  constructor(
    private readonly writeAll: (items: T[]) => Promise<Array<R | Error>>,
    private readonly maxGroup = 500,
  ) {}

  write(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        const group = this.queue.splice(0, this.maxGroup);
        try {
          const outcomes = await this.writeAll(group.map((waiting) => waiting.item));
          group.forEach((waiting, index) => {
            const outcome = outcomes[index];
            if (outcome instanceof Error) waiting.reject(outcome);
            else waiting.resolve(outcome as R);
          });
        } catch (error) {
          for (const waiting of group) waiting.reject(error);
        }
      }
    } finally {
      this.draining = false;
    }
  }
}

/** A duplicate `_id` in a grouped insert: that document's writer learns it alone. */
export class DuplicateKey extends Error {
  readonly code = 11000;
}

function writeErrorsOf(error: unknown): Array<{ index: number; code?: number }> | null {
  const writeErrors = (error as { writeErrors?: unknown }).writeErrors;
  if (!writeErrors) return null;
  return (Array.isArray(writeErrors) ? writeErrors : [writeErrors]) as Array<{ index: number; code?: number }>;
}

/** `insertMany` unordered; per document `true`, or `DuplicateKey` when its `_id` was taken. */
export async function insertEach<T extends Document>(
  collection: Collection<T>,
  docs: OptionalUnlessRequiredId<T>[],
): Promise<Array<true | Error>> {
  const outcomes: Array<true | Error> = docs.map(() => true);
  try {
    await collection.insertMany(docs, { ordered: false });
  } catch (error) {
    const failures = writeErrorsOf(error);
    if (!failures || failures.length === 0 || failures.some((failure) => failure.code !== 11000)) throw error;
    for (const failure of failures) outcomes[failure.index] = new DuplicateKey('duplicate key');
  }
  return outcomes;
}

/**
 * Update statements per bulk command, at most. FerretDB v1.24.2 holds a pooled SQLite connection for
 * every update statement of a command until the whole command ends, and takes one more to write
 * each: a command of 100 updates (its pool size) waits for a connection that never comes, and the
 * whole database stops answering — every client, every collection. It showed as 50 devices pushing
 * at once (500 results in one command). MongoDB has no such limit; 16 a command costs it little.
 */
const MAX_UPDATES_PER_COMMAND = 16;

/**
 * `bulkWrite` unordered, for writes that cannot conflict with each other (distinct `_id`s), sent
 * MAX_UPDATES_PER_COMMAND operations a command, one command after another.
 */
export async function bulkEach<T extends Document>(
  collection: Collection<T>,
  operations: AnyBulkWriteOperation<T>[],
): Promise<Array<true | Error>> {
  for (let start = 0; start < operations.length; start += MAX_UPDATES_PER_COMMAND) {
    await collection.bulkWrite(operations.slice(start, start + MAX_UPDATES_PER_COMMAND), { ordered: false });
  }
  return operations.map(() => true);
}
