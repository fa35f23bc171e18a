import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  HOST_RPC_PATH,
  hostHelloFrameSchema,
  rpcRequestFrameSchema,
  type HostReadyFrame,
  type RpcEventFrame,
  type RpcRequestFrame,
  type RpcResponseFrame,
} from '@gatehouse/protocol';
import { WebSocketServer, type WebSocket } from 'ws';

export type RpcDispatcher = {
  dispatch(frame: RpcRequestFrame): Promise<RpcResponseFrame>;
  onEvent(listener: (frame: RpcEventFrame) => void): () => void;
};

/** A page that does not say hello with the right token this quickly is not ours. */
const HELLO_TIMEOUT_MS = 5000;
/**
 * Above any request the UI sends: the largest is a photo upload, at most 5 MiB of image as base64
 * (protocol's photoUploadSchema, ~6.7 MiB) and the frame around it.
 */
const MAX_FRAME_BYTES = 8 * 1024 * 1024;
/** A client that stops reading does not get to grow the host's memory without bound. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
const CLOSE_POLICY = 1008;

function tokensMatch(presented: string, expected: string): boolean {
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  socket.write(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  socket.destroy();
}

/**
 * The core's RPC over WebSocket, for the page this host served and nothing else: the upgrade must
 * come from the host's own origin (a different local page's Origin is refused), and the first message
 * must carry the per-run token from the page, which other origins cannot read.
 */
export function createRpcSocketServer(options: {
  dispatcher: RpcDispatcher;
  token: string;
  allowedOrigins: () => string[];
}) {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  const ready = new Set<WebSocket>();
  const send = (ws: WebSocket, frame: RpcResponseFrame | RpcEventFrame | HostReadyFrame) => {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) return ws.terminate();
    ws.send(JSON.stringify(frame));
  };
  const offEvents = options.dispatcher.onEvent((frame) => {
    for (const ws of ready) send(ws, frame);
  });

  wss.on('connection', (ws: WebSocket) => {
    const helloTimer = setTimeout(() => ws.close(CLOSE_POLICY, 'no hello'), HELLO_TIMEOUT_MS);
    ws.on('close', () => {
      clearTimeout(helloTimer);
      ready.delete(ws);
    });
    ws.on('error', () => ws.terminate());
    ws.on('message', (data, isBinary) => {
      let message: unknown;
      try {
        message = isBinary ? undefined : JSON.parse(data.toString());
      } catch {
        message = undefined;
      }
      if (!ready.has(ws)) {
        const hello = hostHelloFrameSchema.safeParse(message);
        if (!hello.success || !tokensMatch(hello.data.token, options.token)) {
          ws.close(CLOSE_POLICY, 'bad token');
          return;
        }
        clearTimeout(helloTimer);
        ready.add(ws);
        send(ws, { type: 'ready' });
        return;
      }
      const request = rpcRequestFrameSchema.safeParse(message);
      if (!request.success) {
        const id = (message as { id?: unknown } | undefined)?.id;
        if (typeof id === 'number' && Number.isInteger(id)) {
          send(ws, {
            type: 'response',
            id,
            ok: false,
            error: { code: 'VALIDATION_FAILED', message: 'Malformed request frame' },
          });
        }
        return;
      }
      options.dispatcher.dispatch(request.data).then(
        (response) => send(ws, response),
        (error: unknown) =>
          send(ws, {
            type: 'response',
            id: request.data.id,
            ok: false,
            error: { code: 'INTERNAL', message: error instanceof Error ? error.message : 'Internal error' },
          }),
      );
    });
  });

  return {
    handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
      const url = new URL(request.url ?? '/', 'http://host.invalid');
      if (url.pathname !== HOST_RPC_PATH) return refuseUpgrade(socket, 404, 'Not Found');
      const origin = request.headers.origin;
      if (!origin || !options.allowedOrigins().includes(origin)) return refuseUpgrade(socket, 403, 'Forbidden');
      wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
    },
    async close(): Promise<void> {
      offEvents();
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
