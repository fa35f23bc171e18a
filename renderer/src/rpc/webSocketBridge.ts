import {
  backoffMs,
  HOST_RPC_PATH,
  type GatehouseBridge,
  type HostHelloFrame,
  type RpcMethod,
  type RpcParams,
  type RpcRequestFrame,
  type RpcResult,
  type RpcServerFrame,
  type RpcTopic,
  type RpcTopicPayload,
} from '@gatehouse/protocol';
import { PendingRequests } from '@gatehouse/protocol/pending';
import { RpcError } from './RpcError';

type HostFrame = RpcServerFrame | { type: 'ready' };

/** Long enough for a sign-in plus first sync page; a core that says nothing for this long is gone. */
const REQUEST_TIMEOUT_MS = 60_000;
/** Reconnects to a restarting host: 250 ms doubling to 4 s (protocol backoffMs). */
const RECONNECT = { baseMs: 250, capMs: 4_000 };

/**
 * The browser host's side of the bridge: the same GatehouseBridge over one WebSocket to the host that
 * served this page. The first message carries the host's per-run token; requests wait until the host
 * answers `ready`. If the host restarts, the socket reconnects and queued calls go out then.
 */
export function createWebSocketBridge(options: { url: string; token: string }): GatehouseBridge {
  const pending = new PendingRequests<RpcError>();
  const listeners = new Map<RpcTopic, Set<(payload: unknown) => void>>();
  const queue: RpcRequestFrame[] = [];
  let socket: WebSocket | null = null;
  let ready = false;
  let attempt = 0;

  function connect(): void {
    const ws = new WebSocket(options.url);
    socket = ws;
    ready = false;
    ws.addEventListener('open', () => {
      const hello: HostHelloFrame = { type: 'hello', token: options.token };
      ws.send(JSON.stringify(hello));
    });
    ws.addEventListener('message', (message) => {
      let frame: HostFrame;
      try {
        frame = JSON.parse(String(message.data)) as HostFrame;
      } catch {
        return;
      }
      if (frame.type === 'ready') {
        ready = true;
        attempt = 0;
        for (const request of queue.splice(0)) ws.send(JSON.stringify(request));
      } else if (frame.type === 'response') {
        pending.settle(
          frame.id,
          frame.ok
            ? { ok: true, value: frame.result }
            : { ok: false, error: new RpcError(frame.error.code, frame.error.message, frame.error.details) },
        );
      } else if (frame.type === 'event') {
        for (const listener of listeners.get(frame.topic) ?? []) listener(frame.payload);
      }
    });
    ws.addEventListener('close', () => {
      if (socket !== ws) return;
      socket = null;
      ready = false;
      // Requests already sent may never be answered by a restarted host: fail them plainly.
      pending.failAll(new RpcError('SERVICE_UNAVAILABLE', 'The local Gatehouse service closed the connection'), (id) =>
        queue.some((request) => request.id === id),
      );
      const delay = backoffMs(attempt, RECONNECT);
      attempt += 1;
      window.setTimeout(connect, delay);
    });
  }
  connect();

  return {
    invoke<M extends RpcMethod>(method: M, params: RpcParams<M>): Promise<RpcResult<M>> {
      const { id, answer } = pending.start<RpcResult<M>>(REQUEST_TIMEOUT_MS, () => {
        const queued = queue.findIndex((entry) => entry.id === id);
        if (queued >= 0) queue.splice(queued, 1);
        return new RpcError('SERVICE_UNAVAILABLE', 'The local Gatehouse service did not answer');
      });
      const request: RpcRequestFrame = { type: 'request', id, method, params };
      try {
        if (socket && ready) socket.send(JSON.stringify(request));
        else queue.push(request);
      } catch (error) {
        // Not sent (params that cannot be serialized, a socket closing): a rejected call, nothing left waiting.
        pending.settle(id, { ok: false, error: new RpcError('VALIDATION_FAILED', String(error)) });
      }
      return answer;
    },
    subscribe<T extends RpcTopic>(topic: T, listener: (payload: RpcTopicPayload<T>) => void): () => void {
      const set = listeners.get(topic) ?? new Set();
      listeners.set(topic, set);
      const untyped = listener as (payload: unknown) => void;
      set.add(untyped);
      return () => set.delete(untyped);
    },
  };
}

export function hostRpcUrl(location: Location): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}${HOST_RPC_PATH}`;
}
