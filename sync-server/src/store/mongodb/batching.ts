import type { AnyBulkWriteOperation, Collection, Document, OptionalUnlessRequiredId } from 'mongodb';

type Waiting<T, R> = { item: T; resolve: (outcome: R) => void; reject: (error: unknown) => void };

/**
 * Group commit for single-document writes that many requests issue at once (pushes of several
 * devices, each with its claims, intents and results): while one bulk command is in
 * flight, further writes queue, and the next command carries them all. The first write goes out at
 * once, so a lone request waits for nothing. Each caller gets its own outcome, or its own error.
 * Used only where a command costs far more than a statement (see MongoCapabilities.maxUpdatesPerCommand).
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

  /**
   * Queues all of `items` before the next command goes out, so one caller's batch (a push's run)
   * shares a command (`maxGroup` a command) instead of sending its first item alone. Per item its
   * outcome or its own error, in order; never rejects.
   */
  writeMany(items: T[]): Promise<Array<R | Error>> {
    const outcomes = items.map(
      (item) =>
        new Promise<R | Error>((resolve) => {
          this.queue.push({
            item,
            resolve,
            reject: (error) => resolve(error instanceof Error ? error : new Error(String(error))),
          });
        }),
    );
    if (!this.draining && items.length > 0) void this.drain();
    return Promise.all(outcomes);
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

/** The per-document failures of an unordered bulk command, or null when it failed as a whole. */
export function writeErrorsOf(error: unknown): Array<{ index: number; code?: number; errmsg?: string }> | null {
  const writeErrors = (error as { writeErrors?: unknown } | null)?.writeErrors;
  if (!writeErrors) return null;
  return (Array.isArray(writeErrors) ? writeErrors : [writeErrors]) as Array<{
    index: number;
    code?: number;
    errmsg?: string;
  }>;
}

/** A bulk command whose write concern failed: even the documents it lists no error for may not be durable. */
function writeConcernFailed(error: unknown): boolean {
  const result = (error as { result?: { getWriteConcernError?: () => unknown } } | null)?.result;
  return Boolean(result?.getWriteConcernError?.());
}

/**
 * A bulk command whose write concern failed (a replica set that could not confirm it in time, or
 * failing over): whether its documents are durable is unknown, so the request is to be retried —
 * answered 503 (translateError), the mutation ledger makes the retry exactly-once.
 */
export class WriteConcernFailed extends Error {
  constructor(cause: unknown) {
    super('The write did not meet its write concern', { cause });
  }
}

/** One document of an unordered insert that the database refused for a reason other than its `_id` being taken. */
export class DocumentRefused extends Error {
  constructor(
    readonly code: number | undefined,
    message: string,
    cause: unknown,
  ) {
    super(message, { cause });
  }
}

/**
 * `insertMany` unordered; per document `true` (inserted), `DuplicateKey` (its `_id` was taken) or
 * `DocumentRefused` (its own write error, code kept). Each document's outcome is its own, so a
 * grouped claim insert never reports another request's live claim (a duplicate) as a failure of
 * ours, which its caller would release. Throws when no document's outcome is known: the command
 * failed as a whole (a dropped connection) or its write concern did.
 */
export async function insertEach<T extends Document>(
  collection: Collection<T>,
  docs: OptionalUnlessRequiredId<T>[],
): Promise<Array<true | Error>> {
  const outcomes: Array<true | Error> = docs.map(() => true);
  try {
    await collection.insertMany(docs, { ordered: false });
  } catch (error) {
    const failures = writeErrorsOf(error);
    if (!failures || failures.length === 0) throw error;
    // The bulk error's own code is its first write error's, maybe 11000: thrown as it is, every
    // document would read as a duplicate, though none is known to have landed durably.
    if (writeConcernFailed(error)) throw new WriteConcernFailed(error);
    for (const failure of failures) {
      outcomes[failure.index] =
        failure.code === 11000
          ? new DuplicateKey('duplicate key')
          : new DocumentRefused(failure.code, `insert refused (code ${failure.code}): ${failure.errmsg ?? ''}`, error);
    }
  }
  return outcomes;
}

/**
 * `bulkWrite` unordered, for writes that cannot conflict with each other (distinct `_id`s), sent
 * `perCommand` operations a command, one command after another (see maxUpdatesPerCommand).
 */
export async function bulkEach<T extends Document>(
  collection: Collection<T>,
  operations: AnyBulkWriteOperation<T>[],
  perCommand: number,
): Promise<Array<true | Error>> {
  for (let start = 0; start < operations.length; start += perCommand) {
    await collection.bulkWrite(operations.slice(start, start + perCommand), { ordered: false });
  }
  return operations.map(() => true);
}

/**
 * A single-document insert: grouped with others in flight where that pays, a plain `insertOne`
 * elsewhere. Either way a taken `_id` throws a duplicate-key error to this caller alone.
 */
export class Inserter<T extends Document> {
  private readonly group: GroupWriter<OptionalUnlessRequiredId<T>, true> | null;

  constructor(
    private readonly collection: Collection<T>,
    grouped: boolean,
  ) {
    this.group = grouped ? new GroupWriter((docs) => insertEach(collection, docs)) : null;
  }

  async insert(doc: OptionalUnlessRequiredId<T>): Promise<void> {
    if (this.group) await this.group.write(doc);
    else await this.collection.insertOne(doc);
  }
}
