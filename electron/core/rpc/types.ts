import type { RpcMethod, RpcResult, rpcMethods, UnionToIntersection } from '@gatehouse/protocol';
import type { z } from 'zod';
import type { Account } from '../account';
import type { Core } from '../core';

/**
 * What a handler works with: the account lifecycle (`session`: sign in, unlock, sign out, recover,
 * status), and the open account (`account()`: UNAUTHENTICATED when none is open), whose commands
 * live in `<domain>/commands.ts`. Handlers never reach through the core for account data.
 */
export type RpcScope = {
  session: Core;
  account: () => Account;
};

export type RpcHandler<M extends RpcMethod> = (
  scope: RpcScope,
  params: z.output<(typeof rpcMethods)[M]['params']>,
) => Promise<RpcResult<M>> | RpcResult<M>;

export type RpcHandlers<M extends RpcMethod> = { [K in M]: RpcHandler<K> };

/**
 * Combines the domains' handler maps into one, throwing on a method two of them handle: an object
 * spread would let the later map silently replace the earlier handler.
 */
export function combineHandlers<const T extends readonly Partial<RpcHandlers<RpcMethod>>[]>(
  ...maps: T
): UnionToIntersection<T[number]> {
  const combined: Record<string, unknown> = {};
  for (const map of maps) {
    for (const [method, handler] of Object.entries(map)) {
      if (Object.hasOwn(combined, method)) throw new Error(`RPC method ${method} is handled twice`);
      combined[method] = handler;
    }
  }
  return combined as UnionToIntersection<T[number]>;
}
