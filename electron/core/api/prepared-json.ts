import type { RouteDef } from '@gatehouse/protocol';
import type { z } from 'zod';

/**
 * A request body already encoded as UTF-8 JSON, for a hot path that prepares its next request
 * while the one before it is on the wire (the push lane, `sync/push-read-ahead.ts`): sending it
 * then costs no serialization. `T` is the body it stands for; the device checks its own requests
 * only by type, so whoever builds one proves in a test that its bytes parse to the route's body
 * schema (protocol), as a typed body would by construction.
 */
export class PreparedJson<T> {
  /** Never set: ties the bytes to the body type they encode. */
  declare readonly body?: T;

  constructor(readonly bytes: Uint8Array) {}
}

/** A route's request with its body (if it has one) as prepared JSON rather than a value. */
export type PreparedRequest<R extends RouteDef> = (R['params'] extends z.ZodObject
  ? { params: z.input<R['params']> }
  : { params?: undefined }) &
  (R['query'] extends z.ZodObject ? { query?: z.input<R['query']> } : { query?: undefined }) &
  (R['body'] extends z.ZodType ? { body: PreparedJson<z.input<R['body']>> } : { body?: undefined });
