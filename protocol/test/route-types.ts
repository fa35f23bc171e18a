/**
 * Type-level tests of the route table, checked by `npm run typecheck` (tsc fails when an
 * expected error goes away): a route must declare exactly its path's params, and a client's
 * request must carry what the route needs.
 */
import { z } from 'zod';
import { defineRoute, type RouteRequest, routes } from '../src/index';

const answer = { 200: z.object({ ok: z.boolean() }) };

// @ts-expect-error -- the path has :id, the route declares no params
defineRoute({ method: 'GET', path: '/things/:id', tags: [], description: '', access: 'signedIn', responses: answer });

defineRoute({
  method: 'GET',
  path: '/things/:id',
  tags: [],
  description: '',
  access: 'signedIn',
  // @ts-expect-error -- a param the path does not have
  params: z.object({ thingId: z.string() }),
  responses: answer,
});

defineRoute({
  method: 'GET',
  path: '/events/:id/keys/:kid',
  tags: [],
  description: '',
  access: 'signedIn',
  params: z.object({ id: z.string(), kid: z.string() }),
  responses: answer,
});

// @ts-expect-error -- the mail list route is /admin/mail; its table entry cannot say otherwise
export const wrongPath: '/mail' = routes['mail.list'].path;

// @ts-expect-error -- retrying a message needs its id
export const missingId: RouteRequest<(typeof routes)['mail.retry']> = {};
export const withId: RouteRequest<(typeof routes)['mail.retry']> = { params: { id: 'm1' } };
