import type Database from 'better-sqlite3';
import { blobDigest } from '../blobs';
import type { BlobRepository, StoredBlob } from '../port';
import type { BlobRow } from '../rows';
import type { SqliteDatabase } from './database';

export type BlobRecord = {
  id: string;
  content_type: string;
  byte_length: number;
  sha256: string;
  created_at: string;
  data: Buffer;
};

export function toBlobRow(record: Omit<BlobRecord, 'data'>): BlobRow {
  return {
    id: record.id,
    contentType: record.content_type,
    byteLength: record.byte_length,
    sha256: record.sha256,
    createdAt: record.created_at,
  };
}

/**
 * Blobs as rows of the `blobs` table (migration 012 says why in the file rather than beside it):
 * a put replaces the row in one statement, so a reader gets the old blob or the new one, whole.
 */
export class SqliteBlobs {
  private readonly upsert: Database.Statement<BlobRecord>;
  private readonly byId: Database.Statement<[string], BlobRecord>;
  private readonly remove: Database.Statement<[string]>;

  constructor(private readonly database: SqliteDatabase) {
    const { db } = database;
    this.upsert = db.prepare(
      `INSERT INTO blobs (id, content_type, byte_length, sha256, created_at, data)
       VALUES (@id, @content_type, @byte_length, @sha256, @created_at, @data)
       ON CONFLICT (id) DO UPDATE SET content_type = excluded.content_type, byte_length = excluded.byte_length,
         sha256 = excluded.sha256, created_at = excluded.created_at, data = excluded.data`,
    );
    this.byId = db.prepare('SELECT id, content_type, byte_length, sha256, created_at, data FROM blobs WHERE id = ?');
    this.remove = db.prepare('DELETE FROM blobs WHERE id = ?');
  }

  /** Writes a whole record as it is (also the transfer's import). */
  write(record: BlobRecord): void {
    this.upsert.run(record);
  }

  find(id: string): StoredBlob | null {
    const record = this.byId.get(id);
    return record ? { row: toBlobRow(record), bytes: record.data } : null;
  }

  repository(): BlobRepository {
    const { database } = this;
    return {
      put: ({ id, contentType, bytes, at }) =>
        database.write(() => {
          const record: BlobRecord = {
            id,
            content_type: contentType,
            byte_length: bytes.byteLength,
            sha256: blobDigest(bytes),
            created_at: at,
            data: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
          };
          this.write(record);
          return toBlobRow(record);
        }),
      get: (id) => database.read(() => this.find(id)),
      delete: (id) => database.write(() => this.remove.run(id).changes > 0),
    };
  }
}
