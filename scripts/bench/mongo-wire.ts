import { createServer, Socket, type Server } from 'node:net';

/** Handshake and heartbeat commands: the driver's command monitoring does not report them either. */
const NOT_COUNTED = new Set(['hello', 'ismaster', 'isMaster']);
const OP_MSG = 2013;
const OP_COMPRESSED = 2012;

export type CommandTotals = Map<string, { count: number; ms: number }>;

/**
 * Counts the database commands the sync server sends to MongoDB (or FerretDB) by reading the wire
 * protocol on a loopback proxy between them: one OP_MSG request is one command, named by the first
 * key of its body (`find`, `update`, `insert`, `getMore`…) with the collection it names; the answer
 * (matched by `responseTo`) gives its round-trip time. This is the figure the driver's command
 * monitoring would give (`commandStarted` fires once per OP_MSG), taken without a `mongodb` import
 * in the bench and without a hook in the server: `openStore` does not pass `onCommand` through, and
 * `buildServer` cannot be handed a store opened elsewhere.
 *
 * Only a single host can be proxied; the server is pointed at it with `directConnection=true`, so
 * the driver does not discover and bypass it (a replica set's other members are not counted).
 */
export class MongoWireCounter {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly totals: CommandTotals = new Map();
  private readonly inFlight = new Map<number, { key: string; started: number }>();
  private compressed = 0;

  private constructor(
    private readonly host: string,
    private readonly port: number,
    /** The URI's credentials (with `@`), path and query, to rebuild it around the proxy. */
    private readonly parts: { credentials: string; path: string; query: string },
  ) {}

  /** A counter in front of `uri`'s host, or the reason why that URI cannot be proxied. */
  static forUri(uri: string): MongoWireCounter | string {
    const match = /^mongodb:\/\/([^@/]*@)?([^,/?]+)(\/[^?]*)?(\?.*)?$/.exec(uri);
    if (!match) return 'commands are counted only for a single-host mongodb:// URI (not +srv, not several hosts)';
    const [, credentials = '', hostPort = '', path = '/', query = ''] = match;
    if (/[?&]replicaSet=/i.test(query))
      return 'commands are counted only for a single host (the URI names a replica set)';
    const portMatch = /:(\d+)$/.exec(hostPort);
    const host = (portMatch ? hostPort.slice(0, -portMatch[0].length) : hostPort).replace(/^\[|\]$/g, '');
    return new MongoWireCounter(host, portMatch ? Number(portMatch[1]) : 27017, { credentials, path, query });
  }

  /** Starts listening on loopback; returns the URI rewritten to go through the proxy. */
  async start(): Promise<string> {
    this.server = createServer((client) => this.connect(client));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const { credentials, path, query } = this.parts;
    return `mongodb://${credentials}127.0.0.1:${port}${path}${query ? `${query}&` : '?'}directConnection=true`;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Totals so far, by `command collection`; diff two snapshots to get one step's commands. */
  snapshot(): CommandTotals {
    const copy: CommandTotals = new Map();
    for (const [key, value] of this.totals) copy.set(key, { ...value });
    if (this.compressed > 0) copy.set('(compressed)', { count: this.compressed, ms: 0 });
    return copy;
  }

  static diff(before: CommandTotals, after: CommandTotals): { total: number; byCommand: CommandTotals } {
    const byCommand: CommandTotals = new Map();
    let total = 0;
    for (const [key, value] of after) {
      const previous = before.get(key) ?? { count: 0, ms: 0 };
      const count = value.count - previous.count;
      if (count <= 0) continue;
      byCommand.set(key, { count, ms: value.ms - previous.ms });
      total += count;
    }
    return { total, byCommand };
  }

  private connect(client: Socket): void {
    const upstream = new Socket();
    this.sockets.add(client);
    this.sockets.add(upstream);
    upstream.connect(this.port, this.host);
    const requests = new FrameReader((frame) => this.onRequest(frame));
    const replies = new FrameReader((frame) => this.onReply(frame));
    client.on('data', (chunk: Buffer) => {
      requests.push(chunk);
      if (!upstream.write(chunk)) client.pause();
    });
    upstream.on('drain', () => client.resume());
    upstream.on('data', (chunk: Buffer) => {
      replies.push(chunk);
      if (!client.write(chunk)) upstream.pause();
    });
    client.on('drain', () => upstream.resume());
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    upstream.on('close', close);
  }

  private onRequest(frame: Buffer): void {
    const opCode = frame.readInt32LE(12);
    if (opCode === OP_COMPRESSED) {
      this.compressed += 1;
      return;
    }
    if (opCode !== OP_MSG) return;
    const command = commandOf(frame);
    if (!command || NOT_COUNTED.has(command.name)) return;
    const key = command.collection ? `${command.name} ${command.collection}` : command.name;
    const entry = this.totals.get(key) ?? { count: 0, ms: 0 };
    entry.count += 1;
    this.totals.set(key, entry);
    this.inFlight.set(frame.readInt32LE(4), { key, started: performance.now() });
  }

  private onReply(frame: Buffer): void {
    const responseTo = frame.readInt32LE(8);
    const request = this.inFlight.get(responseTo);
    if (!request) return;
    this.inFlight.delete(responseTo);
    const entry = this.totals.get(request.key);
    if (entry) entry.ms += performance.now() - request.started;
  }
}

/** Splits a byte stream into wire-protocol messages (each starts with its int32 length). */
class FrameReader {
  private buffer: Buffer = Buffer.alloc(0);

  constructor(private readonly onFrame: (frame: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= 16) {
      const length = this.buffer.readInt32LE(0);
      if (length < 16 || this.buffer.length < length) break;
      this.onFrame(this.buffer.subarray(0, length));
      this.buffer = this.buffer.subarray(length);
    }
  }
}

/** The command of an OP_MSG: the first key of its body section (kind 0), and its value when a string. */
function commandOf(frame: Buffer): { name: string; collection: string | null } | null {
  const flags = frame.readUInt32LE(16);
  const end = frame.length - (flags & 1 ? 4 : 0);
  let position = 20;
  while (position < end) {
    const kind = frame[position]!;
    if (kind === 1) {
      position += 1 + frame.readInt32LE(position + 1);
      continue;
    }
    if (kind !== 0) return null;
    const document = position + 1;
    const type = frame[document + 4]!;
    const nameStart = document + 5;
    const nameEnd = frame.indexOf(0, nameStart);
    if (nameEnd < 0) return null;
    const name = frame.toString('utf8', nameStart, nameEnd);
    let collection: string | null = null;
    if (type === 0x02) {
      const length = frame.readInt32LE(nameEnd + 1);
      collection = frame.toString('utf8', nameEnd + 5, nameEnd + 5 + length - 1);
    }
    return { name, collection };
  }
  return null;
}
