/**
 * How far one CSV import is (imports/service.ts), keyed by event and the import id its client
 * chose: `checking` while the file is read (`rowsRead` so far), `writing` with `rowsTotal` rows to
 * write and `rowsWritten` of them done (a chunk of 1,000 at a time), then `done` or `failed`.
 */
export type ImportProgressRow = {
  eventId: string;
  importId: string;
  /** Who runs the import; only they (or an admin) read its progress. */
  userId: string;
  phase: 'checking' | 'writing' | 'done' | 'failed';
  rowsRead: number;
  rowsTotal: number | null;
  rowsWritten: number;
  /** Epoch ms of this record. */
  updatedAtMs: number;
};

/**
 * Progress of running imports, in the store so that any server process can answer for an import
 * another one runs. Records older than a day are dropped as new imports start.
 */
export interface ImportProgressRepository {
  /** Replaces the import's record (the one writer is the import itself). */
  record(row: ImportProgressRow): Promise<void>;
  /** The import's latest record, or null. */
  get(eventId: string, importId: string): Promise<ImportProgressRow | null>;
  /** Drops records last written before `beforeMs`. */
  prune(beforeMs: number): Promise<void>;
}
