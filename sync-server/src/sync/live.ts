import { GatehouseError, liveClientMessageSchema, type LiveServerMessage } from '@gatehouse/protocol';
import type { FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type { AppContext } from '../context';
import { touchDevice } from '../devices/routes';
import { bucketsOf } from './pull';

export type LiveOptions = {
  /** Ping interval; a socket that has not answered the previous ping by the next one is terminated. */
  heartbeatMs: number;
  /** Time allowed for the `auth` message after the socket opens. */
  authTimeoutMs: number;
  /** How long a socket's list of visible buckets is trusted before it is evaluated again. */
  accessTtlMs: number;
};
export const DEFAULT_LIVE_OPTIONS: LiveOptions = {
  heartbeatMs: 15_000,
  authTimeoutMs: 5_000,
  accessTtlMs: 3_000,
};

/** Close codes in the private range (4000–4999), mirroring the HTTP status they stand for. */
const CLOSE = { unauthenticated: 4401, forbidden: 4403, timeout: 4408 } as const;

const LOOPBACK_ORIGIN = /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d{1,5})?$/;

/** Native clients send no Origin; a browser page must be one we serve or a loopback one (the browser host). */
export function isAllowedOrigin(origin: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined) return true;
  return allowed.includes(origin) || LOOPBACK_ORIGIN.test(origin);
}

type LiveSocket = {
  ws: WebSocket;
  userId: string;
  deviceId: string;
  /** The session of the token that opened the socket: ending it closes the socket. */
  sessionId: string;
  alive: boolean;
  buckets: Set<string>;
  bucketsAt: number;
  /** Commits seen since the last flush, newest seq per bucket; filtered by access when flushed. */
  pending: Map<string, number>;
  flushing: boolean;
};

/**
 * `/sync/live`: pokes, not data. After a commit in a bucket a socket's user may see, the socket gets
 * `{type:'poke', bucket, seq}` and the device pulls; the pull (not the poke) is authorised and
 * ordered. Pokes are hints: they may repeat or coalesce, and a device without a socket polls.
 *
 * Fan-out across server processes is the store's business (`ChangeFeed.watch`): on SQLite one
 * process owns the file, so its own commits are all there are; on MongoDB one poller per server
 * finds the commits of the others.
 */
export class LiveHub {
  private readonly sockets = new Set<LiveSocket>();
  private readonly options: LiveOptions;
  private heartbeat: NodeJS.Timeout | undefined;
  private stopped = false;
  private unwatch: (() => void) | undefined;

  constructor(
    private readonly ctx: AppContext,
    options: Partial<LiveOptions> = {},
  ) {
    this.options = { ...DEFAULT_LIVE_OPTIONS, ...options };
  }

  get connectedCount(): number {
    return this.sockets.size;
  }

  start(): void {
    this.unwatch = this.ctx.store.changes.watch((change) => this.notify(change.bucket, change.seq));
    this.heartbeat = setInterval(() => this.beat(), this.options.heartbeatMs);
  }

  stop(): void {
    this.stopped = true;
    this.unwatch?.();
    clearInterval(this.heartbeat);
    for (const socket of this.sockets) socket.ws.terminate();
    this.sockets.clear();
  }

  /** A new socket: authenticated by its Authorization + X-Device-Id headers, or by its first message. */
  accept(ws: WebSocket, request: FastifyRequest): void {
    const header = request.headers.authorization;
    const headerDevice = request.headers['x-device-id'];
    if (header && typeof headerDevice === 'string') {
      const token = /^Bearer (.+)$/.exec(header)?.[1] ?? '';
      void this.authenticate(ws, token, headerDevice);
      return;
    }
    const timeout = setTimeout(
      () => this.refuse(ws, CLOSE.timeout, 'UNAUTHENTICATED', 'Send {"type":"auth"} first'),
      this.options.authTimeoutMs,
    );
    ws.once('message', (data) => {
      clearTimeout(timeout);
      let parsed;
      try {
        parsed = liveClientMessageSchema.safeParse(JSON.parse(String(data)));
      } catch {
        parsed = undefined;
      }
      if (!parsed?.success) {
        this.refuse(
          ws,
          CLOSE.unauthenticated,
          'UNAUTHENTICATED',
          'The first message must be {"type":"auth","accessToken","deviceId"}',
        );
        return;
      }
      void this.authenticate(ws, parsed.data.accessToken, parsed.data.deviceId);
    });
    ws.once('close', () => clearTimeout(timeout));
  }

  private async authenticate(ws: WebSocket, token: string, deviceId: string): Promise<void> {
    try {
      const principal = await this.ctx.guard.authenticateToken(token);
      const { user } = principal;
      if (!/^[0-9a-f-]{36}$/i.test(deviceId)) throw new GatehouseError('VALIDATION_FAILED', 'deviceId must be a UUID');
      this.ctx.guard.requireDevice(principal, deviceId);
      await touchDevice(this.ctx, deviceId, { userId: user.id, sessionId: principal.session.familyId });
      const socket: LiveSocket = {
        ws,
        userId: user.id,
        deviceId,
        sessionId: principal.session.familyId,
        alive: true,
        buckets: new Set(await bucketsOf(this.ctx, user)),
        bucketsAt: Date.now(),
        pending: new Map(),
        flushing: false,
      };
      if (ws.readyState !== ws.OPEN || this.stopped) return;
      this.sockets.add(socket);
      ws.on('pong', () => {
        socket.alive = true;
      });
      ws.on('close', () => this.sockets.delete(socket));
      // Anything after auth is ignored: the socket only carries pokes to the device.
      this.send(ws, { type: 'ready' });
    } catch (error) {
      const known = error instanceof GatehouseError ? error : new GatehouseError('INTERNAL', 'Could not authenticate');
      if (!(error instanceof GatehouseError)) this.ctx.log.error({ err: error }, 'live socket authentication failed');
      this.refuse(ws, known.status === 403 ? CLOSE.forbidden : CLOSE.unauthenticated, known.code, known.message);
    }
  }

  private drop(socket: LiveSocket, closeCode: number, code: string, message: string): void {
    this.sockets.delete(socket);
    this.refuse(socket.ws, closeCode, code, message);
    socket.buckets = new Set();
  }

  private refuse(ws: WebSocket, closeCode: number, code: string, message: string): void {
    this.send(ws, { type: 'error', code, message });
    ws.close(closeCode, code);
  }

  private send(ws: WebSocket, message: LiveServerMessage): void {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
  }

  /**
   * A commit in `bucket` up to `seq`: queue a poke for every socket (access is checked at flush).
   * The flush runs as a microtask, once the code that committed yields: the commits of that one
   * task (every bucket of one group commit) still go out as one flush per socket, but before the
   * push that committed them is answered and before the event loop takes further requests. With
   * setImmediate the poke waited behind the push's answer and any I/O of the next poll phase (the
   * pushing device's own pull among it), so the other devices' pulls reached the server last (#15).
   */
  notify(bucket: string, seq: number): void {
    for (const socket of this.sockets) {
      socket.pending.set(bucket, Math.max(seq, socket.pending.get(bucket) ?? 0));
      if (!socket.flushing) {
        socket.flushing = true;
        queueMicrotask(() => void this.flush(socket));
      }
    }
  }

  private async flush(socket: LiveSocket): Promise<void> {
    try {
      if (Date.now() - socket.bucketsAt > this.options.accessTtlMs) await this.refreshAccess(socket);
      const pending = socket.pending;
      socket.pending = new Map();
      for (const [bucket, seq] of pending) {
        if (socket.buckets.has(bucket)) this.send(socket.ws, { type: 'poke', bucket, seq });
      }
    } catch (error) {
      this.ctx.log.warn({ err: error }, 'live poke failed');
    } finally {
      socket.flushing = false;
      if (socket.pending.size && this.sockets.has(socket)) {
        socket.flushing = true;
        queueMicrotask(() => void this.flush(socket));
      }
    }
  }

  /**
   * Re-reads the user, device, session and assignments: a disabled user, a revoked device or an
   * ended session loses the socket.
   */
  private async refreshAccess(socket: LiveSocket): Promise<void> {
    const [user, device, session] = await Promise.all([
      this.ctx.store.users.findById(socket.userId),
      this.ctx.store.devices.findById(socket.deviceId),
      this.ctx.guard.sessionActive(socket.sessionId),
    ]);
    if (!user || user.disabled || !device || device.revoked || device.userId !== socket.userId) {
      this.drop(socket, CLOSE.forbidden, 'FORBIDDEN', 'Access to live updates was withdrawn');
      return;
    }
    if (!session) {
      this.drop(socket, CLOSE.unauthenticated, 'SESSION_ENDED', 'This session was signed out');
      return;
    }
    socket.buckets = new Set(await bucketsOf(this.ctx, user));
    socket.bucketsAt = Date.now();
  }

  private beat(): void {
    for (const socket of this.sockets) {
      if (!socket.alive) {
        this.sockets.delete(socket);
        socket.ws.terminate();
        continue;
      }
      socket.alive = false;
      socket.ws.ping();
    }
  }
}
