import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
});
