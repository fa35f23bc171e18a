import { randomUUID } from 'node:crypto';
import { Collection } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestServer, type TestServer } from '../../tests/support/server';
import { ScanSlots, type ScanFact } from '../src/checkins/scan-slots';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

const fact = (i: number): ScanFact => ({
  checkinId: randomUUID(),
  direction: i % 2 ? 'out' : 'in',
  hlc: `${String(1_700_000_000_000 + i).padStart(15, '0')}:0000:dev`,
  gate: `Gate ${i}`,
});

describe('ScanSlots: a booking’s scans as gap-free slots', () => {
  it('20 concurrent scans of one ticket, on two slot writers: 20 slots, and the last taker sees all', async () => {
    // Two instances stand for two server processes: only the database arbitrates.
    const writers = [new ScanSlots(server.ctx.db), new ScanSlots(server.ctx.db)];
    const bookingId = randomUUID();
    const facts = Array.from({ length: 20 }, (_, i) => fact(i));
    const histories = await Promise.all(facts.map((scan, i) => writers[i % 2]!.record(bookingId, scan)));
    const slots = await server.ctx.db.collection('checkinSlots').find({ bookingId }).sort({ _id: 1 }).toArray();
    expect(slots).toHaveLength(20);
    expect(new Set(slots.map((slot) => slot.checkinId))).toEqual(new Set(facts.map((scan) => scan.checkinId)));
    histories.forEach((history, i) => expect(history.map((scan) => scan.checkinId)).toContain(facts[i]!.checkinId));
    expect(Math.max(...histories.map((history) => history.length))).toBe(20);

    // A retried scan keeps its slot and sees everything.
    const again = await writers[0]!.record(bookingId, facts[3]!);
    expect(again).toHaveLength(20);
    expect(await server.ctx.db.collection('checkinSlots').countDocuments({ bookingId })).toBe(20);
  });

  it('a writer that remembers a booking’s slots still sees the scans another process took since, reading only those', async () => {
    const [here, elsewhere] = [new ScanSlots(server.ctx.db), new ScanSlots(server.ctx.db)];
    const bookingId = randomUUID();
    const facts = Array.from({ length: 5 }, (_, i) => fact(i));
    for (const scan of facts.slice(0, 3)) await here.record(bookingId, scan);
    await elsewhere.record(bookingId, facts[3]!);

    const reads = vi.spyOn(Collection.prototype, 'findOne');
    const history = await here.record(bookingId, facts[4]!);
    expect(history.map((scan) => scan.checkinId)).toEqual(facts.map((scan) => scan.checkinId));
    // Slots #3 (taken elsewhere) and #4 (free) only, not the three this writer took itself.
    const slotsRead = reads.mock.calls
      .map(([filter]) => (filter as { _id?: unknown })._id)
      .filter((id) => typeof id === 'string' && id.startsWith(bookingId));
    expect(slotsRead.sort()).toEqual([`${bookingId}#3`, `${bookingId}#4`]);
    reads.mockRestore();

    // The other process remembers #0–#3; a retry there reads on from #4 and sees all five.
    expect(await elsewhere.record(bookingId, facts[3]!)).toHaveLength(5);
  });
});
