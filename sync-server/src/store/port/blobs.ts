import type { BlobRow } from '../rows';

/** A blob as read back: its description and its bytes. */
export type StoredBlob = { row: BlobRow; bytes: Buffer };

/**
 * Binary content (photos, a few hundred kB at most) by id. `put` replaces what the id held, and a
 * reader never sees a mix of an old and a new blob: it gets one of them whole. On SQLite one row of
 * a `blobs` table; on MongoDB chunk documents of `BLOB_CHUNK_BYTES` read by `_id` only, plus a head
 * document (adapter notes).
 */
export interface BlobRepository {
  /** Stores `bytes` under `id` (replacing any earlier blob there) and returns its description. */
  put(input: { id: string; contentType: string; bytes: Buffer; at: string }): Promise<BlobRow>;
  /** The blob, or null when there is none. */
  get(id: string): Promise<StoredBlob | null>;
  /** Removes the blob; false when there was none. */
  delete(id: string): Promise<boolean>;
}
