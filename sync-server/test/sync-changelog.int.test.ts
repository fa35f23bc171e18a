import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ChangeLog, type LoggedRow } from '../src/sync/changelog';
import { startTestServer, type TestServer } from '../../tests/support/server';

let server: TestServer;
let log: ChangeLog;
/** A change log whose holes count as dead at once, to exercise the filling path without waiting. */
let impatient: ChangeLog;

beforeAll(async () => {
  server = await startTestServer();
  log = new ChangeLog(server.ctx.db);
  impatient = new ChangeLog(server.ctx.db, { gapTimeoutMs: 0 });
});
afterAll(async () => {
  await server.close();
});

const bucketName = () => `event:${randomUUID()}`;
const change = (id: string) => ({ type: 'checkin' as const, id, rev: 1, doc: { id } });

describe('change log', () => {
  it('concurrent appends to one bucket take distinct seqs, and a reader sees them all in order', async () => {
    const bucket = bucketName();
    const seqs = await Promise.all(Array.from({ length: 25 }, (_, i) => log.append(bucket, change(`c${i}`))));
    expect(new Set(seqs).size).toBe(25);
    const read = await log.readContiguous(bucket, 0, 100);
    expect(read.changes.map((c) => c.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(read.upTo).toBe(25);
    expect(new Set(read.changes.map((c) => c.id)).size).toBe(25);
    // Paging from the middle continues exactly where it stopped.
    const page = await log.readContiguous(bucket, 10, 5);
    expect(page.changes.map((c) => c.seq)).toEqual([11, 12, 13, 14, 15]);
    expect(page.upTo).toBe(15);
  });

  it('a reader stops before a hole a writer still holds, and never moves past it', async () => {
    const bucket = bucketName();
    await log.append(bucket, change('a'));
    // A writer has taken seq 2 and not inserted yet (it is slow, or it died).
    await log.counters.updateOne({ _id: bucket }, { $inc: { seq: 1 } });
    await log.append(bucket, change('c'));
    const read = await log.readContiguous(bucket, 0, 100);
    expect(read.changes.map((c) => c.id)).toEqual(['a']);
    expect(read.upTo).toBe(1);
  });

  it('a hole older than the timeout is filled with a no-op; the late writer then takes a new seq', async () => {
    const bucket = bucketName();
    await log.append(bucket, change('a'));
    await log.counters.updateOne({ _id: bucket }, { $inc: { seq: 1 } }); // seq 2: the writer that died
    await log.append(bucket, change('c')); // seq 3
    const read = await impatient.readContiguous(bucket, 0, 100);
    expect(read.changes.map((c) => [c.seq, c.id])).toEqual([
      [1, 'a'],
      [3, 'c'],
    ]);
    expect(read.upTo).toBe(3);
    expect(await log.changes.findOne({ _id: `${bucket}:2` })).toMatchObject({ type: 'noop' });

    // A late writer whose seq was filled: its insert hits the unique id and it retries above the reader.
    await log.counters.updateOne({ _id: bucket }, { $set: { seq: 1 } });
    const lateSeq = await log.append(bucket, change('late'));
    expect(lateSeq).toBeGreaterThan(3);
    const after = await log.readContiguous(bucket, read.upTo, 100);
    expect(after.changes.map((c) => c.id)).toEqual(['late']);
  });

  it('a reader far behind gets the same pages by _id as by range (for FerretDB), and stops at the same hole', async () => {
    const pointReads = new ChangeLog(server.ctx.db, { pointReadsOnly: true });
    const ranges = vi.spyOn(pointReads.changes, 'find');
    const bucket = bucketName();
    for (let i = 1; i <= 139; i++) await log.append(bucket, change(`c${i}`));
    await log.counters.updateOne({ _id: bucket }, { $inc: { seq: 1 } }); // seq 140: a writer still at work
    for (let i = 141; i <= 150; i++) await log.append(bucket, change(`c${i}`));
    const head = 150;
    for (const [from, limit] of [
      [0, 100],
      [100, 100],
      [3, 7],
    ] as const) {
      const byRange = await log.readContiguous(bucket, from, limit, head);
      const byId = await pointReads.readContiguous(bucket, from, limit, head);
      expect(byId).toEqual(byRange);
    }
    expect((await pointReads.readContiguous(bucket, 100, 100, head)).upTo).toBe(139);
    // findOne is a find by `_id` in the driver; a range read is a find on `seq`.
    expect(ranges.mock.calls.filter(([filter]) => filter && 'seq' in filter)).toEqual([]);
    expect(ranges).toHaveBeenCalled();
  });

  it('emits committed after the change is readable, and stamps the counter for other processes', async () => {
    const bucket = bucketName();
    const seen: { bucket: string; seq: number; readable: boolean }[] = [];
    const listener = (event: { bucket: string; seq: number }) => {
      if (event.bucket !== bucket) return;
      void log.changes.findOne({ _id: `${bucket}:${event.seq}` }).then((row) => {
        seen.push({ ...event, readable: row !== null });
      });
    };
    log.events.on('committed', listener);
    const seq = await log.append(bucket, change('x'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    log.events.off('committed', listener);
    expect(seen).toEqual([{ bucket, seq, readable: true }]);
    const counter = await log.counters.findOne({ _id: bucket });
    expect(counter?.committedSeq).toBe(seq);
    expect(counter?.updatedAt?.getTime()).toBe(log.localCommitStamps.get(bucket));
  });

  it('crash repair: a row written but never logged is logged by repairPending, once', async () => {
    type Row = LoggedRow & { eventId: string; name: string };
    const rows = server.ctx.db.collection<Row>(`repair_${randomUUID().slice(0, 8)}`);
    const bucket = bucketName();
    const toChange = (row: Row) => ({ bucket, type: 'booking' as const, id: row._id, doc: { name: row.name } });
    const intent = (rowId: string, at: Date) =>
      log.intents.insertOne({ _id: randomUUID(), coll: rows.collectionName, rowId, at });
    // The crash: the intent and the row's write landed, the process died before the append.
    await intent('r1', new Date(0));
    await rows.insertOne({ _id: 'r1', rev: 3, eventId: 'e', name: 'Ada' });
    // Died before its insert landed: nothing to announce, the intent is just dropped.
    await intent('never-written', new Date(0));
    // A fresh intent is a writer still at work: left alone.
    await intent('r2', new Date());
    await rows.insertOne({ _id: 'r2', rev: 1, eventId: 'e', name: 'Bo' });
    expect(await log.repairPending(rows, toChange)).toBe(1);
    const read = await log.readContiguous(bucket, 0, 10);
    expect(read.changes.map((c) => [c.id, c.rev, c.doc])).toEqual([['r1', 3, { name: 'Ada' }]]);
    expect((await log.intents.find({ coll: rows.collectionName }).toArray()).map((i) => i.rowId)).toEqual(['r2']);
    expect(await log.repairPending(rows, toChange)).toBe(0);
  });

  it('a write that crashes between row and change leaves an intent; one that completes leaves none', async () => {
    type Row = LoggedRow & { name: string };
    const rows = server.ctx.db.collection<Row>(`intent_${randomUUID().slice(0, 8)}`);
    const bucket = bucketName();
    const toChange = (row: Row) => ({ bucket, type: 'booking' as const, id: row._id, doc: { name: row.name } });
    await log.insertAndLog(rows, { _id: 'ok', rev: 0, name: 'one' }, toChange);
    await log.updateAndLog(rows, { _id: 'ok' }, { $set: { name: 'two' } }, toChange);
    expect(await log.intents.countDocuments({ coll: rows.collectionName })).toBe(0);
    // The append fails as a dying process's would: the row is written, its change is not.
    const failing = () => ({ bucket: '', type: 'booking' as const, id: 'x', doc: null });
    const append = log.append.bind(log);
    log.append = () => Promise.reject(new Error('process died'));
    try {
      await expect(log.updateAndLog(rows, { _id: 'ok' }, { $set: { name: 'three' } }, failing)).rejects.toThrow();
    } finally {
      log.append = append;
    }
    expect(await log.intents.countDocuments({ coll: rows.collectionName })).toBe(1);
    expect(await log.repairPending(rows, toChange, 0)).toBe(1);
    const read = await log.readContiguous(bucket, 0, 10);
    expect(read.changes.map((c) => [c.rev, c.doc])).toEqual([
      [1, { name: 'one' }],
      [2, { name: 'two' }],
      [3, { name: 'three' }],
    ]);
  });

  it('updateAndLog bumps the row rev and logs that version', async () => {
    type Row = LoggedRow & { name: string };
    const rows = server.ctx.db.collection<Row>(`rows_${randomUUID().slice(0, 8)}`);
    const bucket = bucketName();
    const toChange = (row: Row) => ({ bucket, type: 'booking' as const, id: row._id, doc: { name: row.name } });
    await log.insertAndLog(rows, { _id: 'x', rev: 0, name: 'one' }, toChange);
    await log.updateAndLog(rows, { _id: 'x' }, { $set: { name: 'two' } }, toChange);
    const read = await log.readContiguous(bucket, 0, 10);
    expect(read.changes.map((c) => [c.rev, c.doc])).toEqual([
      [1, { name: 'one' }],
      [2, { name: 'two' }],
    ]);
    expect(await rows.findOne({ _id: 'x' })).toMatchObject({ rev: 2 });
    expect(await log.intents.countDocuments({ coll: rows.collectionName })).toBe(0);
  });
});
