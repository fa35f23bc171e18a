import { randomUUID } from 'node:crypto';
import { Binary, type Collection } from 'mongodb';
import { BLOB_CHUNK_BYTES, blobDigest } from '../blobs';
import type { BlobRepository, StoredBlob } from '../port';
import type { BlobRow } from '../rows';
import type { StoreContext } from './context';
import { COLLECTIONS } from './documents';

/**
 * A blob's head: its description, and which chunks hold its bytes now. `version` is drawn anew by
 * every put, so the chunks of two puts of one id never share an `_id`.
 */
export type BlobHeadDoc = {
  _id: string;
  contentType: string;
  byteLength: number;
  sha256: string;
  createdAt: string;
  version: string;
  chunks: number;
};
export type BlobChunkDoc = { _id: string; data: Binary };

/** How often a read starts again when a put replaced the blob between reading its head and its chunks. */
const READ_ATTEMPTS = 3;

export function chunkId(blobId: string, version: string, index: number): string {
  return `${blobId}@${version}:${index}`;
}

export function toBlobRow(head: BlobHeadDoc): BlobRow {
  return {
    id: head._id,
    contentType: head.contentType,
    byteLength: head.byteLength,
    sha256: head.sha256,
    createdAt: head.createdAt,
  };
}

/** Splits bytes into chunk-sized views (no copies). */
function split(bytes: Uint8Array): Uint8Array[] {
  const parts: Uint8Array[] = [];
  for (let start = 0; start < bytes.byteLength; start += BLOB_CHUNK_BYTES) {
    parts.push(bytes.subarray(start, Math.min(start + BLOB_CHUNK_BYTES, bytes.byteLength)));
  }
  return parts;
}

/**
 * Blobs as GridFS-like documents, every one written and read by `_id` alone (FerretDB answers any
 * other filter by scanning the collection; `$in` included): a head document per blob in `blobs`,
 * its bytes in `blobChunks` under `<blobId>@<version>:<n>`.
 *
 * A put writes the new chunks first, then swaps the head in one single-document write, then
 * deletes the chunks the previous head named: a reader holding either head finds its chunks, or —
 * when a put deleted them between its two reads — reads the new head again. No multi-document
 * transaction is needed, and concurrent puts of one id leave one whole blob (the last head
 * written). A crash between the steps leaves only chunks no head names, which nothing reads.
 */
export class MongoBlobs implements BlobRepository {
  private readonly heads: Collection<BlobHeadDoc>;
  private readonly chunks: Collection<BlobChunkDoc>;

  constructor(context: Pick<StoreContext, 'db'>) {
    this.heads = context.db.collection<BlobHeadDoc>(COLLECTIONS.blobs);
    this.chunks = context.db.collection<BlobChunkDoc>(COLLECTIONS.blobChunks);
  }

  async put(input: { id: string; contentType: string; bytes: Buffer; at: string }): Promise<BlobRow> {
    const head: BlobHeadDoc = {
      _id: input.id,
      contentType: input.contentType,
      byteLength: input.bytes.byteLength,
      sha256: blobDigest(input.bytes),
      createdAt: input.at,
      version: randomUUID(),
      chunks: 0,
    };
    await this.writeBlob(head, input.bytes);
    return toBlobRow(head);
  }

  /** Writes the chunks, swaps the head, then removes the chunks of the head it replaced. */
  async writeBlob(head: BlobHeadDoc, bytes: Uint8Array): Promise<void> {
    const parts = split(bytes);
    head.chunks = parts.length;
    if (parts.length > 0) {
      await this.chunks.insertMany(
        parts.map((part, index) => ({ _id: chunkId(head._id, head.version, index), data: new Binary(part) })),
      );
    }
    const previous = await this.heads.findOneAndReplace({ _id: head._id }, head, {
      upsert: true,
      returnDocument: 'before',
    });
    if (previous && previous.version !== head.version) await this.deleteChunks(previous);
  }

  private async deleteChunks(head: BlobHeadDoc): Promise<void> {
    for (let index = 0; index < head.chunks; index++) {
      await this.chunks.deleteOne({ _id: chunkId(head._id, head.version, index) });
    }
  }

  /** The head and bytes of a blob, or null; the bytes of the head as read (see the class note). */
  async get(id: string): Promise<StoredBlob | null> {
    for (let attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
      const head = await this.heads.findOne({ _id: id });
      if (!head) return null;
      const bytes = await this.readChunks(head);
      if (bytes) return { row: toBlobRow(head), bytes };
    }
    throw new Error(`blob ${id} kept changing while it was read`);
  }

  /** The chunks of this head joined, or null when one is gone (a put replaced the blob meanwhile). */
  async readChunks(head: BlobHeadDoc): Promise<Buffer | null> {
    const parts: Uint8Array[] = [];
    for (let index = 0; index < head.chunks; index++) {
      const chunk = await this.chunks.findOne({ _id: chunkId(head._id, head.version, index) });
      if (!chunk) return null;
      parts.push(chunk.data.buffer);
    }
    const bytes = Buffer.concat(parts);
    if (bytes.byteLength !== head.byteLength)
      throw new Error(`blob ${head._id} is ${bytes.byteLength} bytes, not ${head.byteLength}`);
    return bytes;
  }

  async delete(id: string): Promise<boolean> {
    const head = await this.heads.findOneAndDelete({ _id: id });
    if (!head) return false;
    await this.deleteChunks(head);
    return true;
  }
}
