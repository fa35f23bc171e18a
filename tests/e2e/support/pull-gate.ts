import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Hop-by-hop and length headers the proxy must not copy (fetch sets its own, and decompresses bodies). */
const DROPPED = new Set([
  'host',
  'connection',
  'content-length',
  'transfer-encoding',
  'content-encoding',
  'keep-alive',
]);

function forwardable(headers: IncomingHttpHeaders | Headers): Record<string, string> {
  const entries: Array<[string, string | string[] | undefined]> = [];
  if (headers instanceof Headers) headers.forEach((value, name) => entries.push([name, value]));
  else entries.push(...Object.entries(headers));
  const kept: Record<string, string> = {};
  for (const [name, value] of entries) {
    if (value === undefined || DROPPED.has(name.toLowerCase())) continue;
    kept[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return kept;
}

/**
 * A loopback proxy in front of the sync server that lets a device's first pull through and holds
 * every later one until `release()`: a first download caught in the middle, on purpose, so a test
 * can use the door while it runs. Live sockets are not proxied (the device falls back to polling).
 */
export class PullGate {
  private passed = 0;
  private open = false;
  private readonly waiting: Array<() => void> = [];
  private pushesHeld = false;
  private readonly waitingPushes: Array<() => void> = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(target: string, letThrough = 1): Promise<PullGate> {
    let gate: PullGate | null = null;
    const server = createServer((request, response) => {
      void (async () => {
        const chunks: Buffer[] = [];
        for await (const chunk of request) chunks.push(chunk as Buffer);
        if (request.url?.startsWith('/sync/pull') && gate) await gate.admit(letThrough);
        if (request.url?.startsWith('/sync/push') && gate) await gate.admitPush();
        try {
          const upstream = await fetch(`${target}${request.url ?? '/'}`, {
            method: request.method ?? 'GET',
            headers: forwardable(request.headers),
            ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
          });
          const body = Buffer.from(await upstream.arrayBuffer());
          response.writeHead(upstream.status, forwardable(upstream.headers));
          response.end(body);
        } catch {
          response.writeHead(502).end();
        }
      })();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    gate = new PullGate(server, `http://127.0.0.1:${port}`);
    return gate;
  }

  private async admit(letThrough: number): Promise<void> {
    this.passed += 1;
    if (this.open || this.passed <= letThrough) return;
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private async admitPush(): Promise<void> {
    if (!this.pushesHeld) return;
    await new Promise<void>((resolve) => this.waitingPushes.push(resolve));
  }

  /** From now on pulls and pushes wait: the device keeps working, and nothing reaches it or leaves. */
  hold(): void {
    this.open = false;
    this.pushesHeld = true;
  }

  /** Pushes held so far, and every later one, go through; pulls still wait. */
  releasePushes(): void {
    this.pushesHeld = false;
    for (const resolve of this.waitingPushes.splice(0)) resolve();
  }

  /** Pulls and pushes held so far, and every later one, go through. */
  release(): void {
    this.open = true;
    for (const resolve of this.waiting.splice(0)) resolve();
    this.releasePushes();
  }

  async close(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
