import { randomUUID } from 'node:crypto';
import { Binary, type Collection } from 'mongodb';
import { BLOB_CHUNK_BYTES, blobDigest } from '../blobs';
import type { BlobRepository, StoredBlob } from '../port';
import type { BlobRow } from '../rows';
import type { StoreContext } from './context';
import { COLLECTIONS } from './documents';
import { upsertRacing } from './queries';

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
/**
 * A put or delete in progress (`blobWrites`): the versions whose chunks it may leave behind if the
 * process dies half-way — the one it writes, and the one it replaces or removes. Inserted before
 * the first chunk and deleted after the last step; the sweep reads only these few documents.
 */
export type BlobWriteDoc = {
  _id: string;
  blobId: string;
  versions: Array<{ version: string; chunks: number }>;
  at: Date;
};

/** A blob write left this long is taken as dead (a put takes milliseconds; a paused process resumes far sooner). */
export const BLOB_WRITE_ORPHAN_MS = 60 * 60_000;

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
 * written). A crash between the steps leaves only chunks no head names, which nothing reads; each
 * put and delete records what it is doing in `blobWrites` first, so `sweepOrphans` finds and
 * removes such chunks by `_id`, never by scanning the chunks.
 */
export class MongoBlobs implements BlobRepository {
  private readonly heads: Collection<BlobHeadDoc>;
  private readonly chunks: Collection<BlobChunkDoc>;
  private readonly writes: Collection<BlobWriteDoc>;

  constructor(context: Pick<StoreContext, 'db'>) {
    this.heads = context.db.collection<BlobHeadDoc>(COLLECTIONS.blobs);
    this.chunks = context.db.collection<BlobChunkDoc>(COLLECTIONS.blobChunks);
    this.writes = context.db.collection<BlobWriteDoc>(COLLECTIONS.blobWrites);
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
    const current = await this.heads.findOne({ _id: head._id });
    const write = await this.recordWrite(head._id, [head, ...(current ? [current] : [])]);
    if (parts.length > 0) {
      await this.chunks.insertMany(
        parts.map((part, index) => ({ _id: chunkId(head._id, head.version, index), data: new Binary(part) })),
      );
    }
    // Two first puts of one id can both try to insert the head; the loser's upsert fails on the
    // unique `_id` (FerretDB, and MongoDB outside the cases it retries itself) and replaces it instead.
    const previous = await upsertRacing(() =>
      this.heads.findOneAndReplace({ _id: head._id }, head, { upsert: true, returnDocument: 'before' }),
    );
    if (previous && previous.version !== head.version) await this.deleteChunks(previous);
    await this.writes.deleteOne({ _id: write });
  }

  private async recordWrite(blobId: string, heads: BlobHeadDoc[]): Promise<string> {
    const _id = `${blobId}@${randomUUID()}`;
    const versions = heads.map((head) => ({ version: head.version, chunks: head.chunks }));
    await this.writes.insertOne({ _id, blobId, versions, at: new Date() });
    return _id;
  }

  /**
   * Removes the chunks that writes older than `olderThanMs` left behind (their process died between
   * steps): of each version they name, unless it is the blob's head now. Returns how many writes it
   * cleaned up. A maintenance task (index.ts), run at open and hourly.
   */
  async sweepOrphans(olderThanMs = BLOB_WRITE_ORPHAN_MS, nowMs = Date.now()): Promise<number> {
    const cutoff = nowMs - olderThanMs;
    // The whole (small) collection: only writes in flight or cut off are in it, and FerretDB would
    // scan it for any other filter.
    const stale = (await this.writes.find({}).limit(1000).toArray()).filter((write) => write.at.getTime() < cutoff);
    for (const write of stale) {
      const head = await this.heads.findOne({ _id: write.blobId });
      for (const { version, chunks } of write.versions) {
        if (head?.version === version) continue;
        await this.deleteChunks({ _id: write.blobId, version, chunks });
      }
      await this.writes.deleteOne({ _id: write._id });
    }
    return stale.length;
  }

  private async deleteChunks(head: Pick<BlobHeadDoc, '_id' | 'version' | 'chunks'>): Promise<void> {
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
    const current = await this.heads.findOne({ _id: id });
    if (!current) return false;
    const write = await this.recordWrite(id, [current]);
    const head = await this.heads.findOneAndDelete({ _id: id });
    if (head) await this.deleteChunks(head);
    await this.writes.deleteOne({ _id: write });
    return head !== null;
  }
}
