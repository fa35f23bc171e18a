import { Collection, type Db } from 'mongodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { deriveCheckinAlerts } from '../src/checkins/service';
import { DocumentRefused, DuplicateKey, insertEach } from '../src/store/mongodb/batching';
import { MONGODB_CAPABILITIES, type MongoStoreOptions } from '../src/store/mongodb/index';
import { CLAIM_LEASE_MS } from '../src/store/mongodb/ledger';
import { MutationRecords } from '../src/store/mongodb/ledger-records';
import type { DeriveAlerts, MutationWork } from '../src/store/port';
import type { StoredResult } from '../src/store/rows';
import {
  bookInput,
  claimLeftApplying,
  codesOf,
  createEvent,
  mongoTestStores,
  pushedCheckIn,
  scan,
} from './mongo-fixtures';

/**
 * The MongoDB ledger's batch path on its failure paths: a push's scans of one ticket are applied in
 * push order, and never past one that was not applied (the device retries from there) — whether
 * the earlier one's claim insert failed, its claim could not be resumed, or its apply failed.
 */

const { dbName, open, db } = mongoTestStores('mongo_runs', { repairs: false });

afterEach(() => {
  vi.restoreAllMocks();
});

/** Per mutation id its claim's state: `done`, `released` (its lease given up), `applying` or `none`. */
async function claimStates(db: Db, work: MutationWork[]): Promise<string[]> {
  const docs = (await db
    .collection('mutations')
    .find({ _id: { $in: work.map((item) => item.claim.id) } } as never)
    .toArray()) as unknown as Array<{ _id: string; status: string; claimedAt: Date }>;
  return work.map((item) => {
    const doc = docs.find((candidate) => candidate._id === item.claim.id);
    if (!doc) return 'none';
    if (doc.status === 'done') return 'done';
    return doc.claimedAt.getTime() === 0 ? 'released' : 'applying';
  });
}

/** The check-in row a pushed scan writes. */
const checkinIdOf = (work: MutationWork) => (work.apply.kind === 'recordCheckIn' ? work.apply.row.id : '');

/** Alerts as they are derived at the door, and per scan the length of the history it was judged by. */
function judging(): { derive: DeriveAlerts; seen: Map<string, number[]> } {
  const seen = new Map<string, number[]>();
  const derive: DeriveAlerts = (booking, checkin, history) => {
    seen.set(checkin.id, [...(seen.get(checkin.id) ?? []), history.length]);
    return deriveCheckinAlerts(booking, checkin, history);
  };
  return { derive, seen };
}

/**
 * A store of its own (on `capabilities`), an event with one ticket, and that ticket's entry, exit and
 * re-entry as a push hands them to the ledger, judged by `judging`.
 */
async function entryExitReentry(capabilities: MongoStoreOptions['capabilities']) {
  const name = dbName();
  const store = await open({ dbName: name, capabilities });
  const event = await createEvent(store);
  const { row: ticket } = await store.bookings.book(bookInput(event));
  const { derive, seen } = judging();
  const entry = scan(ticket, { hlc: '0001' });
  const exit = scan(ticket, { hlc: '0002', direction: 'out' });
  const reentry = scan(ticket, { hlc: '0003', gate: 'south' });
  const work = [entry, exit, reentry].map((row) => pushedCheckIn(row, derive));
  return { name, store, event, seen, entry, exit, reentry, work };
}

/** Makes every write of the check-in row `checkinId` fail (single or grouped insert, either path). */
function failCheckinInsert(checkinId: string, message: string): void {
  const names = ['insertOne', 'insertMany'] as const;
  for (const name of names) {
    const original = Collection.prototype[name] as (...args: unknown[]) => Promise<unknown>;
    vi.spyOn(Collection.prototype, name).mockImplementation(function (this: Collection, ...args: unknown[]) {
      const docs = (Array.isArray(args[0]) ? args[0] : [args[0]]) as Array<{ _id?: unknown }>;
      if (this.collectionName === 'checkins' && docs.some((doc) => doc._id === checkinId)) {
        return Promise.reject(new Error(message));
      }
      return original.apply(this, args);
    } as never);
  }
}

describe("MongoDB ledger: a push's run of scans on its failure paths", () => {
  it('FerretDB path: a scan behind one whose claim insert failed (a claim group cut off) is not applied; the retry applies them in order', async () => {
    const name = dbName();
    const store = await open({ dbName: name });
    const event = await createEvent(store);
    const { row: ticket } = await store.bookings.book(bookInput(event));
    const { row: otherTicket } = await store.bookings.book(bookInput(event));
    const { derive, seen } = judging();
    const entry = scan(ticket, { hlc: '0001' });
    const exit = scan(ticket, { hlc: '0002', direction: 'out' });
    const reentry = scan(ticket, { hlc: '0003', gate: 'south' });
    const beside = scan(otherTicket, { hlc: '0004' });
    const work = [entry, exit, reentry, beside].map((row) => pushedCheckIn(row, derive));
    // FerretDB's claims go in group commands of 500: the one carrying the entry's and the exit's
    // claims failed after they landed, the next one (the later claims) went through. On the straight
    // path one insert carries the run, and a failure fails every claim of it.
    const claimMany = MutationRecords.prototype.claimMany;
    vi.spyOn(MutationRecords.prototype, 'claimMany').mockImplementation(async function (this: MutationRecords, inputs) {
      const outcomes = await claimMany.call(this, inputs);
      return outcomes.map((outcome, position) => (position <= 1 ? new Error('the claim group was cut off') : outcome));
    });
    await expect(store.mutations.applyBatch(work)).rejects.toThrow('the claim group was cut off');
    vi.restoreAllMocks();
    // The re-entry is not judged without the exit before it (a false duplicate-entry alert).
    expect(await store.checkins.findById(reentry.id)).toBeNull();
    expect(await store.checkins.findById(beside.id)).not.toBeNull();
    expect(await claimStates(db(name), work)).toEqual(['released', 'released', 'released', 'done']);

    expect(codesOf(await store.mutations.applyBatch(work))).toEqual(['applied', 'applied', 'applied', 'applied']);
    expect(seen.get(reentry.id)).toEqual([3]);
    expect(await store.alerts.listForEvent(event.id, 10)).toEqual([]);
  });

  it('FerretDB path: a fresh claim kept waiting half its lease behind one it resumes is finished as a taken-over one: a result stored meanwhile stands', async () => {
    const name = dbName();
    const claimLeaseMs = 600;
    const store = await open({ dbName: name, claimLeaseMs });
    const event = await createEvent(store);
    const { row: ticket } = await store.bookings.book(bookInput(event));
    const working = pushedCheckIn(scan(ticket, { hlc: '0001' }));
    const waiting = pushedCheckIn(scan(ticket, { hlc: '0002', direction: 'out' }));
    // `working` is being applied by a request that then dies: it is taken over once its lease is out.
    await claimLeftApplying(db(name), working, 0);
    // By then `waiting`'s own lease is as good as out, and another server took it over and answered it.
    const answeredElsewhere: StoredResult = { status: 'applied', hlc: 'answered-elsewhere' };
    const findOneAndUpdate = Collection.prototype.findOneAndUpdate as (...args: unknown[]) => Promise<unknown>;
    vi.spyOn(Collection.prototype, 'findOneAndUpdate').mockImplementation(async function (
      this: Collection,
      ...args: unknown[]
    ) {
      const filter = args[0] as { _id?: unknown };
      if (this.collectionName === 'mutations' && filter._id === working.claim.id) {
        await db(name)
          .collection('mutations')
          .updateOne({ _id: waiting.claim.id } as never, { $set: { status: 'done', result: answeredElsewhere } });
      }
      return findOneAndUpdate.apply(this, args);
    } as never);
    const started = Date.now();
    const answers = await store.mutations.applyBatch([working, waiting]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(claimLeaseMs / 2);
    expect(answers).toEqual([{ status: 'applied' }, answeredElsewhere]);
    expect((await store.mutations.find(waiting.claim.id))?.result).toEqual(answeredElsewhere);
    expect(await store.checkins.countForEvent(event.id)).toBe(2);
  });

  for (const mode of ['straight path', 'FerretDB path'] as const) {
    const capabilities = mode === 'straight path' ? MONGODB_CAPABILITIES : {};

    it(`${mode}: a scan behind the second of two already-claimed scans of its ticket is not applied when that one cannot be resumed`, async () => {
      const { name, store, event, seen, reentry, work } = await entryExitReentry(capabilities);
      // The entry went through an earlier push; the exit's claim was left by a process that died.
      expect(codesOf(await store.mutations.applyBatch([work[0]!]))).toEqual(['applied']);
      await claimLeftApplying(db(name), work[1]!, CLAIM_LEASE_MS + 1_000);
      // Reading the exit's claim back fails (the connection dropped).
      const findOne = Collection.prototype.findOne as (...args: unknown[]) => Promise<unknown>;
      vi.spyOn(Collection.prototype, 'findOne').mockImplementation(function (this: Collection, ...args: unknown[]) {
        const filter = args[0] as { _id?: unknown } | undefined;
        if (this.collectionName === 'mutations' && filter?._id === work[1]!.claim.id) {
          return Promise.reject(new Error('the connection dropped'));
        }
        return findOne.apply(this, args);
      } as never);
      await expect(store.mutations.applyBatch(work)).rejects.toThrow('the connection dropped');
      vi.restoreAllMocks();
      expect(await store.checkins.findById(reentry.id)).toBeNull();
      // The exit's claim is still the dead process's (never ours), the re-entry's released.
      expect(await claimStates(db(name), work)).toEqual(['done', 'applying', 'released']);

      expect(codesOf(await store.mutations.applyBatch(work))).toEqual(['applied', 'applied', 'applied']);
      expect(seen.get(reentry.id)).toEqual([3]);
      expect(await store.alerts.listForEvent(event.id, 10)).toEqual([]);
    });

    it(`${mode}: a taken-over scan is not applied past an earlier fresh scan of its ticket that failed`, async () => {
      const { name, store, event, seen, entry, exit, reentry, work } = await entryExitReentry(capabilities);
      // The exit's and the re-entry's claims were left by a process that died; the entry is new.
      for (const item of work.slice(1)) await claimLeftApplying(db(name), item, CLAIM_LEASE_MS + 1_000);
      failCheckinInsert(entry.id, 'the disk hiccuped');
      await expect(store.mutations.applyBatch(work)).rejects.toThrow('the disk hiccuped');
      vi.restoreAllMocks();
      expect(await store.checkins.findById(exit.id)).toBeNull();
      expect(await store.checkins.findById(reentry.id)).toBeNull();
      // Taken over, then given up unapplied: the retry takes them over at once.
      expect(await claimStates(db(name), work)).toEqual(['released', 'released', 'released']);

      expect(codesOf(await store.mutations.applyBatch(work))).toEqual(['applied', 'applied', 'applied']);
      expect(seen.get(reentry.id)).toEqual([3]);
      expect(await store.alerts.listForEvent(event.id, 10)).toEqual([]);
    });

    it(`${mode}: two requests carrying one push, their claims interleaved across tickets, do not wait on each other`, async () => {
      const name = dbName();
      const store = await open({ dbName: name, capabilities });
      const event = await createEvent(store);
      const { row: first } = await store.bookings.book(bookInput(event));
      const { row: second } = await store.bookings.book(bookInput(event));
      const { derive, seen } = judging();
      const [a1, a2, b1, b2] = [
        scan(first, { hlc: '0001' }),
        scan(first, { hlc: '0002', direction: 'out' }),
        scan(second, { hlc: '0003' }),
        scan(second, { hlc: '0004', direction: 'out' }),
      ].map((row) => pushedCheckIn(row, derive)) as [MutationWork, MutationWork, MutationWork, MutationWork];
      const push = [a1, a2, b1, b2];
      // Each request's claim insert lands half the push; the other half it finds claimed by the
      // other: the first request holds a2 and b1, the second a1 and b2. So the first applies b1 at
      // once and a2 once a1 is answered; the second a1 at once and b2 once b1 is answered. With one
      // wait for the whole run, each held its second claim until its other resume (of the other's
      // second claim) came back: a lease's wait on both sides.
      const halves = [new Set([a2.claim.id, b1.claim.id]), new Set([a1.claim.id, b2.claim.id])];
      let bothClaimed!: () => void;
      const claimedByBoth = new Promise<void>((resolve) => (bothClaimed = resolve));
      let calls = 0;
      let claimed = 0;
      const claimMany = MutationRecords.prototype.claimMany;
      vi.spyOn(MutationRecords.prototype, 'claimMany').mockImplementation(async function (
        this: MutationRecords,
        inputs,
      ) {
        const mine = halves[calls++]!;
        const landed = await claimMany.call(
          this,
          inputs.filter((input) => mine.has(input.id)),
        );
        if (++claimed === 2) bothClaimed();
        await claimedByBoth;
        let next = 0;
        return inputs.map((input) => (mine.has(input.id) ? landed[next++]! : new DuplicateKey('duplicate key')));
      });
      const started = Date.now();
      const answers = await Promise.all([store.mutations.applyBatch(push), store.mutations.applyBatch(push)]);
      expect(Date.now() - started).toBeLessThan(CLAIM_LEASE_MS / 4);
      expect(answers.map(codesOf)).toEqual([Array(4).fill('applied'), Array(4).fill('applied')]);
      // Each scan judged once, behind the one before it on its ticket.
      expect(push.map((work) => seen.get(checkinIdOf(work)))).toEqual([[1], [2], [1], [2]]);
      expect(await store.checkins.countForEvent(event.id)).toBe(4);
      expect(await claimStates(db(name), push)).toEqual(['done', 'done', 'done', 'done']);
    });

    it(`${mode}: a push naming one mutation id twice behind a taken-over scan answers every copy at once`, async () => {
      const name = dbName();
      const store = await open({ dbName: name, capabilities });
      const event = await createEvent(store);
      const { row: ticket } = await store.bookings.book(bookInput(event));
      const crashed = pushedCheckIn(scan(ticket, { hlc: '0001' }));
      const twice = pushedCheckIn(scan(ticket, { hlc: '0002', direction: 'out' }));
      const reused: MutationWork = { ...twice, claim: { ...twice.claim, argsHash: 'other-args' } };
      await claimLeftApplying(db(name), crashed, CLAIM_LEASE_MS + 1_000);
      const started = Date.now();
      expect(codesOf(await store.mutations.applyBatch([crashed, twice, twice, reused]))).toEqual([
        'applied',
        'applied',
        'applied',
        'MUTATION_ID_REUSED',
      ]);
      // Not a lease's wait for its own first copy.
      expect(Date.now() - started).toBeLessThan(CLAIM_LEASE_MS / 4);
      expect(await store.checkins.countForEvent(event.id)).toBe(2);
      expect(await claimStates(db(name), [crashed, twice])).toEqual(['done', 'done']);
    });
  }
});

describe("insertEach: an unordered insert's failures stay per document", () => {
  it("a taken _id, an inserted document and a refused one each get their own outcome: a grouped claim insert never fails another request's live claim as its own", async () => {
    const collection = db(dbName()).collection<{ _id: string | string[] }>('insert_each');
    await collection.insertOne({ _id: 'taken' });
    // An array `_id` is refused by MongoDB and FerretDB alike (code 53), beside the duplicate (11000).
    const outcomes = await insertEach(collection, [{ _id: 'taken' }, { _id: 'fresh' }, { _id: ['not', 'an', 'id'] }]);
    expect(outcomes[0]).toBeInstanceOf(DuplicateKey);
    expect(outcomes[1]).toBe(true);
    expect(outcomes[2]).toBeInstanceOf(DocumentRefused);
    expect(await collection.countDocuments({ _id: 'fresh' })).toBe(1);
  });
});
