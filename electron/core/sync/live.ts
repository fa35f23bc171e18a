import { backoffMs, type LiveClientMessage, liveServerMessageSchema } from '@gatehouse/protocol';
import WebSocket from 'ws';

/** The browser-style surface both `ws` and a global WebSocket provide. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(): void;
  addEventListener(type: 'open' | 'close' | 'error', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
}
export type WebSocketFactory = new (url: string) => WebSocketLike;

export const defaultWebSocket: WebSocketFactory = WebSocket as unknown as WebSocketFactory;

const MIN_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 30_000;

export type LiveOptions = {
  url: string;
  deviceId: string;
  accessToken: () => Promise<string | null>;
  /** After an auth error: refresh the access token before the next attempt. */
  refresh: () => Promise<void>;
  onPoke: () => void;
  onConnected: (connected: boolean) => void;
  WebSocketImpl: WebSocketFactory;
  log: (message: string) => void;
};

/**
 * The `/sync/live` socket: authenticates in its first message, turns pokes into pull requests and
 * reconnects with capped exponential backoff and jitter until stopped.
 */
export class LiveConnection {
  private socket: WebSocketLike | null = null;
  private timer: NodeJS.Timeout | null = null;
  private attempt = 0;
  private stopped = false;
  private connected = false;
  private needsRefresh = false;

  constructor(private readonly options: LiveOptions) {}

  start(): void {
    this.stopped = false;
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.socket?.close();
    this.socket = null;
    this.setConnected(false);
  }

  private setConnected(connected: boolean): void {
    if (this.connected === connected) return;
    this.connected = connected;
    this.options.onConnected(connected);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    try {
      if (this.needsRefresh) {
        this.needsRefresh = false;
        await this.options.refresh();
      }
      const token = await this.options.accessToken();
      if (!token || this.stopped) return this.scheduleReconnect();
      const socket = new this.options.WebSocketImpl(this.options.url);
      this.socket = socket;
      socket.addEventListener('open', () => {
        const hello: LiveClientMessage = { type: 'auth', accessToken: token, deviceId: this.options.deviceId };
        socket.send(JSON.stringify(hello));
      });
      socket.addEventListener('message', (event) => this.onMessage(event.data));
      socket.addEventListener('error', () => undefined);
      socket.addEventListener('close', () => {
        if (this.socket !== socket) return;
        this.socket = null;
        this.setConnected(false);
        this.scheduleReconnect();
      });
    } catch (error) {
      this.options.log(`live: ${(error as Error).message}`);
      this.scheduleReconnect();
    }
  }

  private onMessage(data: unknown): void {
    let parsed;
    try {
      parsed = liveServerMessageSchema.safeParse(JSON.parse(String(data)));
    } catch {
      return;
    }
    if (!parsed.success) return;
    const message = parsed.data;
    if (message.type === 'ready') {
      this.attempt = 0;
      this.setConnected(true);
      // Anything committed while we were away arrives with this pull.
      this.options.onPoke();
    } else if (message.type === 'poke') {
      this.options.onPoke();
    } else {
      this.options.log(`live: server error ${message.code}: ${message.message}`);
      if (/TOKEN|UNAUTHENTICATED/.test(message.code)) this.needsRefresh = true;
    }
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.timer) return;
    const delay = backoffMs(this.attempt, { baseMs: MIN_BACKOFF_MS, capMs: MAX_BACKOFF_MS, jitter: 'equal' });
    this.attempt = Math.min(this.attempt + 1, 16);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.connect();
    }, delay);
  }
}
