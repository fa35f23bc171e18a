import { COLUMNS } from './booking-records';

/** Matching terms counted per search word at most: enough to choose a plan, cheap to count. */
export const COUNT_CAP = 20_000;

export type ListParams = Record<string, string | number | null>;
/**
 * One plan of listForEvent. `walk`: the event's bookings in page order (by status first when
 * filtered), keeping those every word matches — with words, at most @budget rows are walked.
 * `driven`: the bookings that words 0 … joined-1 all name (their term ranges intersected in the
 * booking_words index), by primary key, kept when the other words match, sorted.
 */
export type ListShape = { after: boolean; status: boolean; words: number; plan: 'walk' | 'driven'; joined: number };

/** Word i binds @lo<i>/@hi<i> (its term range) and @mark<i> (TERM_MARK + word). */
export function listSql(shape: ListShape): string {
  const range = ['b.event_id = @eventId'];
  if (shape.status) range.push('b.status = @status');
  if (shape.after) range.push('(b.created_at, b.id) > (@afterValue, @afterId)');
  const matches: string[] = [];
  for (let index = shape.plan === 'driven' ? shape.joined : 0; index < shape.words; index++) {
    matches.push(`instr(b.search_terms, @mark${index}) > 0`);
  }
  const order = 'ORDER BY b.created_at, b.id';
  if (shape.plan === 'driven') {
    // The rarest word's term range is walked in the index, each id kept when the other words' ranges
    // hold it too (IN: each range read once into an in-memory index, with a Bloom filter before it).
    // DISTINCT: a word can prefix several terms of one booking. CROSS JOIN fixes the join order: the
    // matching ids first, then their bookings. An INTERSECT of the ranges, each made DISTINCT and
    // sorted in its own temporary b-tree, took 12 ms for two words of 6,250 matches at 100,000
    // bookings; this takes 3 ms (4 ms the whole page).
    const alsoIn = Array.from(
      { length: shape.joined - 1 },
      (_, offset) =>
        ` AND w.booking_id IN (SELECT booking_id FROM booking_words
           WHERE event_id = @eventId AND term >= @lo${offset + 1} AND term < @hi${offset + 1})`,
    ).join('');
    const hits = `SELECT DISTINCT w.booking_id AS id FROM booking_words w
      WHERE w.event_id = @eventId AND w.term >= @lo0 AND w.term < @hi0${alsoIn}`;
    return `SELECT ${COLUMNS}
      FROM (${hits}) AS hit
      CROSS JOIN bookings b ON b.id = hit.id
      WHERE ${[...range, ...matches].join(' AND ')} ${order} LIMIT @limit`;
  }
  if (matches.length === 0)
    return `SELECT ${COLUMNS} FROM bookings b WHERE ${range.join(' AND ')} ${order} LIMIT @limit`;
  return `SELECT ${COLUMNS}
    FROM (SELECT * FROM bookings b WHERE ${range.join(' AND ')} ${order} LIMIT @budget) AS b
    WHERE ${matches.join(' AND ')} ${order} LIMIT @limit`;
}

/** How many rows a budgeted walk of this shape would read (at most @budget): did the budget cut it short? */
export function walkedSql(shape: ListShape): string {
  const range = ['event_id = @eventId'];
  if (shape.status) range.push('status = @status');
  if (shape.after) range.push('(created_at, id) > (@afterValue, @afterId)');
  return `SELECT count(*) AS n FROM (SELECT 1 FROM bookings WHERE ${range.join(' AND ')} LIMIT @budget)`;
}

/**
 * Rows a search walks, estimated from the terms each word matches (`counts`, capped) among about
 * `total` bookings, the words taken as independent. The walk is budgeted at a few times this, and
 * the driven plan (whose cost, the rarest word's count, is known) takes over when that runs out:
 * words that rarely go together cost a bounded walk, not the whole event.
 */
export function expectedWalk(counts: number[], total: number, wanted: number): number {
  return Math.min(total, wanted / shareOf(counts, total));
}

/** The share of `total` bookings that every word matches, the words taken as independent. */
function shareOf(counts: number[], total: number): number {
  return counts.reduce((product, count) => product * Math.min(1, count / total), 1);
}

/** Words intersected in the index at most; further words are checked on the rows found. */
const MAX_JOINED_WORDS = 3;
/**
 * Index entries an intersection reads per booking row a driven plan looks up, at equal cost: the
 * entries are compared inside SQLite, a row is a primary-key lookup and its part of the sort
 * (measured at 100,000 bookings, 2026-12-02: two words of 6,250 matches each, intersected and
 * their 391 rows looked up 4.2 ms, driven by one of them 11 ms — about 5 entries a row; 8 kept,
 * which chooses the same plans for every test's and bench's search).
 */
const ENTRIES_PER_ROW = 8;

/**
 * How many of the words (rarest first, `sorted` counts ascending) a driven plan intersects, and
 * its cost in walked-row units. A word whose count reached COUNT_CAP is too common to be worth
 * reading from the index; it is checked on the rows instead.
 */
export function drivenPlan(sorted: number[], total: number): { joined: number; cost: number } {
  let best = { joined: 1, cost: sorted[0]! * 2 };
  for (let joined = 2; joined <= Math.min(sorted.length, MAX_JOINED_WORDS); joined++) {
    const counts = sorted.slice(0, joined);
    if (counts[joined - 1]! >= COUNT_CAP) break;
    const entries = counts.reduce((sum, count) => sum + count, 0);
    const cost = entries / ENTRIES_PER_ROW + 2 * total * shareOf(counts, total);
    if (cost < best.cost) best = { joined, cost };
  }
  return best;
}
