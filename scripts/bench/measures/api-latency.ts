import type { Measure } from '../measure';
import { requireRoute } from '../routes';
import { summarize } from '../stats';

type BookingPage = { items: Array<{ id: string }>; nextCursor: string | null };

type SearchKind = 'surname' | 'fullName' | 'email';

/** Searches a person at the desk would type: a surname, a first name plus surname, an email. */
function searchTerms(count: number, bookings: number): Array<{ q: string; kind: SearchKind }> {
  const names = ['lovelace', 'hopper', 'ada turing', 'grace knuth', 'dijkstra', 'radia perlman', 'lamarr'];
  const terms: Array<{ q: string; kind: SearchKind }> = [];
  for (let i = 0; i < count; i++) {
    if (i % 3 === 2) terms.push({ q: `attendee${(i * 7919) % bookings}@example.test`, kind: 'email' });
    else {
      const q = names[i % names.length]!;
      terms.push({ q, kind: q.includes(' ') ? 'fullName' : 'surname' });
    }
  }
  return terms;
}

/**
 * The organizer's attendee screen against the server: one page of 50 bookings (walking the keyset
 * cursor through the event, so deep pages count too) and a search, sequentially, each timed end to end.
 */
export const apiLatency: Measure = {
  name: 'api_latency',
  timeLimitSeconds: 300,
  async run(ctx) {
    const { fixture, server, options } = ctx;
    const headers = { authorization: `Bearer ${fixture.organizer.accessToken}` };
    const base = `${server.baseUrl}/events/${fixture.eventId}/bookings`;
    const timed = async (url: string): Promise<{ ms: number; page: BookingPage }> => {
      const started = performance.now();
      const response = await requireRoute(
        await fetch(url, { headers, signal: AbortSignal.timeout(30_000) }),
        'GET /events/:id/bookings',
      );
      const text = await response.text();
      const ms = performance.now() - started;
      if (!response.ok) throw new Error(`GET ${url} → ${response.status} ${text.slice(0, 300)}`);
      return { ms, page: JSON.parse(text) as BookingPage };
    };

    // Warm-up: the first request pays for JIT and connection set-up, which no user repeats.
    await timed(`${base}?limit=50`);
    const listMs: number[] = [];
    let cursor: string | null = null;
    let listed = 0;
    for (let i = 0; i < options.apiSamples; i++) {
      const { ms, page } = await timed(`${base}?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      listMs.push(ms);
      listed += page.items.length;
      cursor = page.nextCursor;
    }
    const searchMs: number[] = [];
    const byKind: Record<SearchKind, number[]> = { surname: [], fullName: [], email: [] };
    let found = 0;
    for (const { q, kind } of searchTerms(options.apiSamples, fixture.bookingIds.length)) {
      const { ms, page } = await timed(`${base}?limit=50&q=${encodeURIComponent(q)}`);
      searchMs.push(ms);
      byKind[kind].push(ms);
      found += page.items.length;
    }
    if (listed === 0) throw new Error('the booking list returned no rows');
    const list = summarize(listMs);
    const search = summarize(searchMs);
    return {
      pageSize: 50,
      samples: options.apiSamples,
      listMsP50: list.p50,
      listMsP95: list.p95,
      listMsP99: list.p99,
      searchMsP50: search.p50,
      searchMsP95: search.p95,
      searchMsP99: search.p99,
      ...Object.fromEntries(
        Object.entries(byKind).flatMap(([kind, samples]) => {
          if (samples.length === 0) return [];
          const summary = summarize(samples);
          const name = `search${kind[0]!.toUpperCase()}${kind.slice(1)}`;
          return [
            [`${name}MsP50`, summary.p50],
            [`${name}MsP99`, summary.p99],
          ];
        }),
      ),
      rowsListed: listed,
      rowsFound: found,
    };
  },
};
