import type { RpcMethod, RpcResult, rpcMethods } from '@gatehouse/protocol';
import type { z } from 'zod';
import type { Core } from '../core';

export type RpcHandler<M extends RpcMethod> = (
  core: Core,
  params: z.output<(typeof rpcMethods)[M]['params']>,
) => Promise<RpcResult<M>> | RpcResult<M>;

export type RpcHandlers<M extends RpcMethod> = { [K in M]: RpcHandler<K> };
