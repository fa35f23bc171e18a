import { describe, expect, it } from 'vitest';
import { routeHeaders, routes, type RouteDef } from '../src';
import { IDEMPOTENCY_KEY_HEADER } from '../src/idempotency';

/**
 * POSTs that create nothing a retry could duplicate, each with why. Every other POST must declare
 * `idempotent`, so a creating route added later cannot forget it: this walk fails until it does.
 */
const NOT_CREATING_POSTS: Record<string, string> = {
  'auth.register': 'answers with tokens, which are never replayed; a repeat is 409 EMAIL_TAKEN',
  'auth.login': 'a sign-in; its answer carries tokens',
  'auth.refresh': 'rotates a token; replaying its answer would hand out a spent token',
  'auth.logout': 'ends a session; doing it twice is harmless',
  'bookings.cancel': 'a state change; cancelling again answers the cancelled booking',
  'bookings.erase': 'a state change; erasing again answers the erased booking (and finishes a cut-off erasure)',
  'mail.retry': 'reschedules an existing message',
  'mail.discard': 'changes an existing message’s state',
  'users.changeMyPassword':
    'changes a password (the current one is the proof); repeating it with the old one as current fails',
  'users.requestEmailChange':
    'replaces the pending change; a repeat mails a fresh code and the earlier one stops working',
  'auth.confirmEmailChange': 'public; applies a single-use code, a repeat is EMAIL_CHANGE_CODE_USED',
  'devices.importUnsent': 'applies a file exactly once by itself (derived mutation ids, applied changes skipped)',
  'sync.push': 'exactly-once by each mutation’s own id',
  'bookings.import':
    'a re-run of the same file matches each row to the booking the first run made (external id, or email + name)',
};

const table = routes as Record<string, RouteDef>;

describe('the route table: every creating POST declares idempotency', () => {
  it('each POST is idempotent unless it is a listed non-creating one', () => {
    const posts = Object.entries(table).filter(([, route]) => route.method === 'POST');
    expect(posts.length).toBeGreaterThan(Object.keys(NOT_CREATING_POSTS).length);
    for (const [name, route] of posts) {
      expect(route.idempotent === true, name).toBe(!(name in NOT_CREATING_POSTS));
    }
  });

  it('the exemptions name POSTs that exist (a stale entry would exempt nothing)', () => {
    for (const name of Object.keys(NOT_CREATING_POSTS)) expect(table[name]?.method, name).toBe('POST');
  });

  it('a route answering 201 Created declares idempotency, auth.register aside', () => {
    for (const [name, route] of Object.entries(table)) {
      if (201 in route.responses && name !== 'auth.register') expect(route.idempotent, name).toBe(true);
    }
  });

  it('an idempotent route is a signed-in POST and takes the Idempotency-Key header', () => {
    for (const [name, route] of Object.entries(table)) {
      if (!route.idempotent) continue;
      expect(route.method, name).toBe('POST');
      expect(route.access, name).not.toBe('public');
      expect(Object.keys(routeHeaders(route)?.shape ?? {}), name).toContain(IDEMPOTENCY_KEY_HEADER);
    }
  });
});
