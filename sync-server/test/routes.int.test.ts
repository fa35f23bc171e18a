import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEVICE_ID_HEADER, type RouteDef, routePath, routes } from '@gatehouse/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../tests/support/server';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ID = '0190a5b2-7c4e-7d3f-8a1b-2c3d4e5f6a7b';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ logLevel: 'error' });
});
afterAll(async () => {
  await server.close();
});

type OpenApi = { paths: Record<string, Record<string, { description?: string }>> };

/** Every `routes['name']` the device's core refers to, by file. */
function routeNamesUsedByCore(): Map<string, string> {
  const used = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'test') walk(file);
      } else if (entry.name.endsWith('.ts')) {
        for (const match of readFileSync(file, 'utf8').matchAll(/routes\['([^']+)'\]/g)) {
          used.set(match[1]!, path.relative(ROOT, file));
        }
      }
    }
  };
  walk(path.join(ROOT, 'electron/core'));
  return used;
}

describe('the route table (protocol/src/routes) is what the server serves and documents', () => {
  it('every route is registered at its method and path, and documented in OpenAPI unless hidden', () => {
    const openApi = server.app.swagger() as unknown as OpenApi;
    for (const [name, route] of Object.entries(routes) as [string, RouteDef][]) {
      expect(server.app.hasRoute({ method: route.method, url: route.path }), name).toBe(true);
      const documented = openApi.paths[route.path.replace(/:([A-Za-z]+)/g, '{$1}')]?.[route.method.toLowerCase()];
      if (route.hidden) expect(documented, name).toBeUndefined();
      else expect(documented?.description, name).toBe(route.description);
    }
  });

  it('the OpenAPI document has no operation the table lacks', () => {
    const openApi = server.app.swagger() as unknown as OpenApi;
    const inTable = new Set(
      Object.values(routes).map((route) => `${route.method} ${route.path.replace(/:([A-Za-z]+)/g, '{$1}')}`),
    );
    const documented = Object.entries(openApi.paths).flatMap(([url, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${url}`),
    );
    expect(documented.filter((operation) => !inTable.has(operation))).toEqual([]);
  });

  it('every path the client builds reaches its route (never "No route"), and a bad token is refused before the handler', async () => {
    for (const [name, route] of Object.entries(routes) as [string, RouteDef][]) {
      const params = Object.fromEntries([...route.path.matchAll(/:([A-Za-z]+)/g)].map((match) => [match[1], ID]));
      const response = await server.app.inject({
        method: route.method,
        url: routePath(route, params),
        headers: { authorization: 'Bearer not-a-token', [DEVICE_ID_HEADER]: ID },
      });
      const body = response.json() as { error?: { code: string; message: string } };
      expect(body.error?.message ?? '', name).not.toMatch(/^No route/);
      if (route.access !== 'public' && response.statusCode < 500) {
        // Validation (400) may answer first; what matters is that no handler ran for a forged token.
        expect([400, 401], `${name}: ${response.statusCode} ${JSON.stringify(body)}`).toContain(response.statusCode);
      }
    }
  });

  it('the device calls the server only through the table, and every route it names exists', () => {
    const used = routeNamesUsedByCore();
    expect(used.size).toBeGreaterThan(5);
    for (const [name, file] of used) expect(Object.keys(routes), `${file} calls ${name}`).toContain(name);
    expect([...used.keys()]).toEqual(
      expect.arrayContaining(['sync.push', 'sync.pull', 'mail.list', 'mail.retry', 'mail.discard', 'auth.login']),
    );
  });
});
