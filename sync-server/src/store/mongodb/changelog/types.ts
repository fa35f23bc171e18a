import type { Collection, Document } from 'mongodb';
import type { ChangeType } from '@gatehouse/protocol';
import type { LoggedDoc } from '../documents';
import type { PendingChange } from '../../wire';

/** Changes written in one group commit at most; a pull page is 500 and a push batch 500. */
export const MAX_GROUP_COMMIT = 500;

/** Clears of row marks wait this long to go out together. */
export const MARK_FLUSH_MS = 500;

export type ChangeDoc = {
  _id: string;
  bucket: string;
  seq: number;
  type: ChangeType | 'noop';
  id: string;
  rev: number;
  doc: Document | null;
  at: Date;
};

export type BucketCounter = { _id: string; seq: number; committedSeq?: number; updatedAt?: Date };

/** A change owed for a row being written (the intent path; see ChangeLog's class comment). */
export type LogIntent = { _id: string; coll: string; rowId: string; at: Date };

/** A collection of logged rows and how a row becomes its change (store/wire.ts's `changeOf`). */
export type LoggedCollection<D extends LoggedDoc> = {
  collection: Collection<D>;
  toChange: (doc: D) => PendingChange;
};

/** A change to append: its bucket is the queue it waits in. */
export type AppendInput = Omit<PendingChange, 'bucket'>;

/** Rows inserted but not yet logged (see ChangeLog.insertMany). */
export type InsertBatch<D> = {
  inserted: D[];
  /** Indexes of the rows a unique key refused. */
  duplicates: number[];
  log: () => Promise<void>;
  undo: () => Promise<void>;
  /**
   * Gives the batch up without logging or undoing it (the caller failed in between): its intents
   * stop being kept fresh and are left to the repair sweep, as after a crash.
   */
  abandon: () => Promise<void>;
};
