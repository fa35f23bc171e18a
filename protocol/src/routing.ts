import { z } from 'zod';
import { idempotencyHeadersSchema } from './idempotency';
import { PERMISSIONS, type Permission, type Role } from './roles';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Who may call a route, checked before its handler runs: anyone (`public`), any signed-in and
 * enabled user (`signedIn`; the service then checks ownership, e.g. an organizer's own event, inside
 * its queries), or a user whose role grants a permission (`roles.ts`).
 */
export type RouteAccess = 'public' | 'signedIn' | { permission: Permission };

/** Success statuses a route may answer with; errors are `errorBodySchema` with their own statuses. */
export type SuccessStatus = 200 | 201 | 202;

/**
 * One HTTP endpoint of the sync server: the single source for the server's registration (Fastify
 * validates requests against these schemas), the OpenAPI document (generated from that
 * registration) and the device's client (`ServerApi.call`, which builds the path and checks the answer).
 */
export type RouteDef = {
  method: HttpMethod;
  /** Fastify-style path: `:name` segments are path params, each declared in `params`. */
  path: string;
  tags: readonly string[];
  description: string;
  access: RouteAccess;
  params?: z.ZodObject;
  query?: z.ZodObject;
  headers?: z.ZodObject;
  body?: z.ZodType;
  /**
   * The body is raw bytes, not JSON (an image upload): sent with one of `mediaTypes` as its
   * Content-Type, at most `maxBytes` long. Such a route declares no `body`; the server's handler
   * receives the bytes as `call.bytes`, the device sends them with `ServerApi.sendBytes`.
   */
  rawBody?: { mediaTypes: readonly string[]; maxBytes: number };
  /**
   * The 200 answer is raw bytes of one of `mediaTypes` (an image) with an `ETag` and
   * `Cache-Control`, and 304 Not Modified on a matching `If-None-Match`; `responses[200]` only
   * documents it. The device fetches it with `ServerApi.fetchBytes`.
   */
  bytesAnswer?: { mediaTypes: readonly string[] };
  /** The success answers by status. */
  responses: Partial<Record<SuccessStatus, z.ZodType>>;
  /** The usual success status, when the route declares several (default: the lowest declared). */
  status?: SuccessStatus;
  /** Left out of the OpenAPI document (e.g. internal probes). */
  hidden?: boolean;
  /**
   * A route that creates something: it takes an `Idempotency-Key` header (idempotency.ts), and the
   * server answers a retry with that key with the first answer instead of creating again. Every
   * creating POST declares it (protocol/test/idempotent-routes.test.ts walks the table); not for
   * public routes, as keys are kept per user.
   */
  idempotent?: boolean;
};

/**
 * The request headers a route takes: its own `headers`, plus the Idempotency-Key on an idempotent
 * route. The server validates and documents these; the device's client sends the key by them.
 */
export function routeHeaders(route: RouteDef): z.ZodObject | undefined {
  if (!route.idempotent) return route.headers;
  return route.headers ? route.headers.extend(idempotencyHeadersSchema.shape) : idempotencyHeadersSchema;
}

/** The `:name` segments of a path, as a union of names (never when there are none). */
export type PathParamNames<P extends string> = P extends `${string}:${infer Name}/${infer Rest}`
  ? Name | PathParamNames<`/${Rest}`>
  : P extends `${string}:${infer Name}`
    ? Name
    : never;

type DeclaredParamNames<R extends RouteDef> = R['params'] extends z.ZodObject
  ? Extract<keyof z.infer<R['params']>, string>
  : never;

type SameNames<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/** Makes a route whose `params` schema does not name exactly the path's `:params` fail type checking. */
type ParamsMatchPath<R extends RouteDef> =
  SameNames<PathParamNames<R['path']>, DeclaredParamNames<R>> extends true
    ? unknown
    : { params: `declare exactly the path params of ${R['path']}` };

/** Declares a route (identity at run time; the type keeps every schema's exact type). */
export function defineRoute<const R extends RouteDef>(route: R & ParamsMatchPath<R>): R {
  return route;
}

/** The answer a route's handler returns and its client receives: any of its success bodies. */
export type RouteAnswer<R extends RouteDef> = {
  [S in keyof R['responses']]: R['responses'][S] extends z.ZodType ? z.output<R['responses'][S]> : never;
}[keyof R['responses']];

/** What a client sends: path params, query and body, each where the route has one. */
export type RouteRequest<R extends RouteDef> = (R['params'] extends z.ZodObject
  ? { params: z.input<R['params']> }
  : { params?: undefined }) &
  (R['query'] extends z.ZodObject ? { query?: z.input<R['query']> } : { query?: undefined }) &
  (R['body'] extends z.ZodType ? { body: z.input<R['body']> } : { body?: undefined });

/**
 * The URL path of a route for these params, each value URI-encoded (so every id is encoded the
 * same way, whatever it holds). Throws if a param is missing.
 */
export function routePath(route: RouteDef, params: object | undefined): string {
  return route.path.replace(/:([A-Za-z]+)/g, (_match, name: string) => {
    const value = (params as Record<string, unknown> | undefined)?.[name];
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw new Error(`${route.method} ${route.path}: missing path param ${name}`);
    }
    return encodeURIComponent(String(value));
  });
}

/** `?a=1&b=2` for the defined, non-empty values of a query object, or ''. */
export function routeQuery(query: object | undefined): string {
  if (!query) return '';
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** The roles a route admits, for documentation: every role for `public`/`signedIn`. */
export function rolesOf(access: RouteAccess, allRoles: readonly Role[]): readonly Role[] {
  if (access === 'public' || access === 'signedIn') return allRoles;
  return PERMISSIONS[access.permission] as readonly Role[];
}

/**
 * Combines per-domain route tables into one, refusing a name used twice (a spread would let the
 * later table silently replace the earlier route).
 */
export function combineRoutes<const T extends readonly Record<string, RouteDef>[]>(
  ...tables: T
): UnionToIntersection<T[number]> {
  const combined: Record<string, RouteDef> = {};
  const seen = new Map<string, string>();
  for (const table of tables) {
    for (const [name, route] of Object.entries(table)) {
      if (name in combined) throw new Error(`Route name ${name} is declared twice`);
      const key = `${route.method} ${route.path}`;
      const other = seen.get(key);
      if (other) throw new Error(`${key} is declared twice: ${other} and ${name}`);
      seen.set(key, name);
      combined[name] = route;
    }
  }
  return combined as UnionToIntersection<T[number]>;
}

/** `A | B` → `A & B`: the type of several tables combined into one. */
export type UnionToIntersection<U> = (U extends unknown ? (value: U) => void : never) extends (value: infer I) => void
  ? I
  : never;

/** The schema of a route's answers: its one success schema, or the union of them. */
export function routeAnswerSchema<R extends RouteDef>(route: R): z.ZodType<RouteAnswer<R>> {
  const schemas = Object.values(route.responses).filter((schema): schema is z.ZodType => schema !== undefined);
  if (schemas.length === 0) throw new Error(`${route.method} ${route.path} declares no success answer`);
  const schema = schemas.length === 1 ? schemas[0]! : z.union(schemas as [z.ZodType, z.ZodType, ...z.ZodType[]]);
  return schema as z.ZodType<RouteAnswer<R>>;
}

/** The status a route answers with unless its handler says otherwise. */
export function usualStatus(route: RouteDef): SuccessStatus {
  if (route.status !== undefined) return route.status;
  const declared = Object.keys(route.responses).map(Number) as SuccessStatus[];
  return declared.length === 0 ? 200 : (Math.min(...declared) as SuccessStatus);
}
