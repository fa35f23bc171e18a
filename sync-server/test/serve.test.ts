import { can, defineRoute, GatehouseError, type Permission } from '@gatehouse/protocol';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Guard } from '../src/auth/guard';
import { registerErrorHandling } from '../src/http/errors';
import { JsonAnswer } from '../src/http/json-answer';
import { routeServer } from '../src/http/serve';
import type { UserRow } from '../src/store/rows';

/**
 * Route-shape tests of http/serve.ts with app.inject and no database: the access check runs before
 * the handler, the usual status comes from the table, requests are validated and answers shaped
 * by the table's schemas.
 */
const users: Record<string, UserRow> = {
  staff: {
    id: 'u-staff',
    role: 'staff',
    name: 'Sam',
    email: 'sam@example.test',
    passwordHash: 'secret-hash',
  } as UserRow,
  admin: {
    id: 'u-admin',
    role: 'admin',
    name: 'Ada',
    email: 'ada@example.test',
    passwordHash: 'secret-hash',
  } as UserRow,
};

/** A guard that takes `authorization: <user key>` at its word. */
const guard = {
  requireUser: async (request: FastifyRequest) => {
    const user = users[String(request.headers.authorization)];
    if (!user) throw new GatehouseError('UNAUTHENTICATED', 'Sign in first');
    return { user, session: { familyId: `session-of-${user.id}`, userId: user.id, deviceId: null } };
  },
  requirePermission: async (request: FastifyRequest, permission: Permission) => {
    const principal = await guard.requireUser(request);
    if (!can(principal.user.role, permission)) throw new GatehouseError('FORBIDDEN', 'Your role does not allow this');
    return principal;
  },
} as unknown as Guard;

const person = z.object({ id: z.string(), name: z.string() });
const table = {
  me: defineRoute({
    method: 'GET',
    path: '/me',
    tags: [],
    description: 'who am I',
    access: 'signedIn',
    responses: { 200: person },
  }),
  create: defineRoute({
    method: 'POST',
    path: '/things/:id',
    tags: [],
    description: 'makes a thing',
    access: { permission: 'users.manage' },
    params: z.strictObject({ id: z.string().regex(/^[a-z]+$/) }),
    body: z.strictObject({ name: z.string().min(1) }),
    responses: { 200: person, 201: person },
    status: 201,
  }),
  page: defineRoute({
    method: 'GET',
    path: '/page',
    tags: [],
    description: 'a hot path',
    access: 'public',
    responses: { 200: z.object({ items: z.array(z.number()) }) },
  }),
  bytes: defineRoute({
    method: 'GET',
    path: '/bytes/:kind',
    tags: [],
    description: 'a hot path answering pre-serialized JSON',
    access: 'public',
    params: z.strictObject({ kind: z.enum(['good', 'bad']) }),
    responses: { 200: z.object({ items: z.array(z.number()) }) },
  }),
};

/** Pre-serialized answers, spaced and ordered as no serializer would, so a re-serialization shows. */
const BYTES = { good: '{ "items": [1, 2] }', bad: '{ "items": ["one"] }' };

let app: FastifyInstance | null = null;
afterEach(async () => {
  await app?.close();
  app = null;
});

async function build(checkAnswers: boolean, calls: string[] = []): Promise<FastifyInstance> {
  app = Fastify();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandling(app);
  const server = routeServer(app, guard, { checkAnswers });
  // Answers carry a field the schema does not name: it must never leave.
  server.serve(table.me, async ({ user }) => {
    calls.push('me');
    return { ...user, passwordHash: user.passwordHash } as never;
  });
  server.serve(table.create, async ({ params, body, reply }) => {
    calls.push('create');
    if (body.name === 'again') void reply.status(200);
    return { id: params.id, name: body.name };
  });
  server.serve(table.page, async () => ({ items: [1, 2], extra: true }) as never, { fastAnswer: true });
  server.serve(table.bytes, async ({ params }) => new JsonAnswer(Buffer.from(BYTES[params.kind])), {
    fastAnswer: true,
  });
  await app.ready();
  return app;
}

describe('routeServer: routes served from the table', () => {
  it('refuses before the handler runs: no token is UNAUTHENTICATED, a role without the permission FORBIDDEN', async () => {
    const calls: string[] = [];
    const server = await build(true, calls);
    const anonymous = await server.inject({ method: 'GET', url: '/me' });
    expect([anonymous.statusCode, anonymous.json().error.code]).toEqual([401, 'UNAUTHENTICATED']);
    const staff = await server.inject({
      method: 'POST',
      url: '/things/lamp',
      headers: { authorization: 'staff' },
      payload: { name: 'Lamp' },
    });
    expect([staff.statusCode, staff.json().error.code]).toEqual([403, 'FORBIDDEN']);
    expect(calls).toEqual([]);
  });

  it('answers with the usual status of the table, or the one the handler picks among those declared', async () => {
    const server = await build(true);
    const post = (name: string) =>
      server.inject({ method: 'POST', url: '/things/lamp', headers: { authorization: 'admin' }, payload: { name } });
    const created = await post('Lamp');
    expect([created.statusCode, created.json()]).toEqual([201, { id: 'lamp', name: 'Lamp' }]);
    expect((await post('again')).statusCode).toBe(200);
  });

  it('validates params and body against the table: wrong shapes and unknown fields are VALIDATION_FAILED', async () => {
    const server = await build(true);
    const post = (url: string, payload: unknown) =>
      server.inject({ method: 'POST', url, headers: { authorization: 'admin' }, payload: payload as object });
    for (const response of [
      await post('/things/LAMP', { name: 'Lamp' }),
      await post('/things/lamp', { name: '' }),
      await post('/things/lamp', { name: 'Lamp', $where: '1' }),
    ]) {
      expect([response.statusCode, response.json().error.code]).toEqual([400, 'VALIDATION_FAILED']);
    }
  });

  it('answers only the fields the schema names (a password hash never leaves)', async () => {
    const server = await build(true);
    const me = await server.inject({ method: 'GET', url: '/me', headers: { authorization: 'staff' } });
    expect(me.json()).toEqual({ id: 'u-staff', name: 'Sam' });
  });

  it('a fastAnswer route is checked against its schema in tests and development, and serialized as is in production', async () => {
    expect((await (await build(true)).inject({ method: 'GET', url: '/page' })).json()).toEqual({ items: [1, 2] });
    await app!.close();
    expect((await (await build(false)).inject({ method: 'GET', url: '/page' })).json()).toEqual({
      items: [1, 2],
      extra: true,
    });
  });

  it('a JsonAnswer leaves as its own bytes, checked against the schema in tests and development (500 when wrong)', async () => {
    for (const checkAnswers of [true, false]) {
      const server = await build(checkAnswers);
      const good = await server.inject({ method: 'GET', url: '/bytes/good' });
      expect([good.statusCode, good.headers['content-type'], good.body]).toEqual([
        200,
        'application/json; charset=utf-8',
        BYTES.good,
      ]);
      const bad = await server.inject({ method: 'GET', url: '/bytes/bad' });
      // Checked: refused as a server fault. Production: sent unchecked, as fastAnswer's other answers.
      expect(bad.statusCode).toBe(checkAnswers ? 500 : 200);
      if (!checkAnswers) expect(bad.body).toBe(BYTES.bad);
      await app!.close();
      app = null;
    }
  });
});
