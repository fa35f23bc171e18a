import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Change } from '@gatehouse/protocol';
import { BookingQueries } from '../../../electron/core/bookings/queries';
import { AccountStore } from '../../../electron/core/store';
import { bookingDoc, eventDoc, page } from '../../../electron/core/test/fixtures';
import type { Measure } from '../measure';
import { nowMicros, summarize } from '../stats';

const EVENT = 'ev-attendee-list';
const SEED_PAGE = 5_000;
const ROWS_PER_WINDOW = 60;
const FIRST = ['Ada', 'Grace', 'Alan', 'Barbara', 'Donald', 'Margaret', 'Linus', 'Radia', 'Hedy', 'Frances'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Liskov', 'Knuth', 'Hamilton', 'Torvalds', 'Perlman', 'Lamarr', 'Allen'];

/** Bookings with a realistic spread of names: a search for a surname matches a tenth of them. */
function seed(store: AccountStore, count: number): void {
  const bucket = `event:${EVENT}`;
  let seq = 1;
  let batch: Change[] = [{ bucket, seq: seq++, type: 'event', id: EVENT, rev: 1, doc: eventDoc(EVENT) }];
  for (let i = 0; i < count; i++) {
    const name = `${FIRST[i % FIRST.length]} ${LAST[Math.floor(i / FIRST.length) % LAST.length]} ${i}`;
    const doc = bookingDoc(EVENT, i, { attendee: { name, email: `guest${i}@example.test` } });
    batch.push({ bucket, seq: seq++, type: 'booking', id: doc.id, rev: 1, doc });
    if (batch.length >= SEED_PAGE || i === count - 1) {
      store.applyPullPage(page(batch, { bucketsAdded: seq <= SEED_PAGE + 2 ? [bucket] : [], hasMore: i < count - 1 }));
      batch = [];
    }
  }
}

/**
 * The attendee table's data path at N local bookings: the core query the virtualized table issues
 * for each visible window (`bookings.list`: rows + total) at the top, middle and end of the list,
 * and the instant search as a steward types (surname, first name + surname, booking code). Timed
 * in process on a real SQLite file; the table renders only the visible rows, so this is what grows
 * with N. No server is involved.
 */
export const attendeeList: Measure = {
  name: 'attendee_list',
  timeLimitSeconds: 600,
  async run(ctx) {
    const count = ctx.options.bookings;
    const dir = path.join(ctx.dataDir, 'attendee-list');
    mkdirSync(dir, { recursive: true });
    const store = AccountStore.open(path.join(dir, 'gatehouse.db'), 'bench-attendee-list', Date.now);
    ctx.defer(() => store.close());
    const seedStarted = Date.now();
    seed(store, count);
    const seedMs = Date.now() - seedStarted;
    const queries = new BookingQueries(store);
    const samples = Math.max(5, Math.min(ctx.options.apiSamples, 200));
    const time = (run: () => { total: number }) => {
      const micros: number[] = [];
      let total = 0;
      for (let i = 0; i < samples; i++) {
        const started = nowMicros();
        total = run().total;
        micros.push(nowMicros() - started);
      }
      return {
        ...summarize(
          micros.map((us) => us / 1000),
          2,
        ),
        total,
      };
    };
    const window = (offset: number) => () => queries.list({ eventId: EVENT, offset, limit: ROWS_PER_WINDOW });
    const search = (q: string) => () => queries.list({ eventId: EVENT, q, offset: 0, limit: ROWS_PER_WINDOW });
    const top = time(window(0));
    const middle = time(window(Math.floor(count / 2)));
    const end = time(window(Math.max(0, count - ROWS_PER_WINDOW)));
    const surname = time(search('hopper'));
    const fullName = time(search('grace hop'));
    const code = time(search(bookingDoc(EVENT, Math.floor(count / 3)).code));
    if (top.total !== count) throw new Error(`the list counts ${top.total} bookings, not ${count}`);
    return {
      seedSeconds: seedMs / 1000,
      samples,
      windowRows: ROWS_PER_WINDOW,
      topMsP50: top.p50,
      topMsP99: top.p99,
      middleMsP50: middle.p50,
      middleMsP99: middle.p99,
      endMsP50: end.p50,
      endMsP99: end.p99,
      searchSurnameMsP50: surname.p50,
      searchSurnameMsP99: surname.p99,
      searchSurnameMatches: surname.total,
      searchFullNameMsP50: fullName.p50,
      searchFullNameMsP99: fullName.p99,
      searchCodeMsP50: code.p50,
      searchCodeMsP99: code.p99,
      benchRssMb: Math.round(process.memoryUsage().rss / 1e6),
    };
  },
};
