/**
 * The desktop core: plain Node, no Electron. Hosts (Electron's utilityProcess via process.ts, the
 * browser host, tests) open it with a data folder and a TokenStore, then plug a transport into the
 * RPC dispatcher.
 */
export { Core, openCore, type CoreOptions, type CoreLog } from './core';
export { createRpcDispatcher, type RpcDispatcher } from './rpc/dispatcher';
export { FileTokenStore, MemoryTokenStore, type TokenStore } from './tokens';
export { canonicalBucketHash, type HashedRow } from './sync/hash';
export type { WebSocketFactory, WebSocketLike } from './sync/live';
