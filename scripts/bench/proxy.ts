import { createServer, Socket, type Server } from 'node:net';

/**
 * A loopback TCP proxy in front of the sync server that can be switched off: the fault harness's
 * "network cable". Offline, it destroys open connections and refuses new ones, so a device sees
 * exactly what it sees at a venue without internet — connection errors — with no test hook in core.
 */
export class NetworkSwitch {
  private online = true;
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  port = 0;

  constructor(private readonly targetPort: number) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.server = createServer((client) => {
      if (!this.online) {
        client.destroy();
        return;
      }
      const upstream = new Socket();
      this.track(client);
      this.track(upstream);
      upstream.connect(this.targetPort, '127.0.0.1');
      client.pipe(upstream);
      upstream.pipe(client);
      const close = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', close);
      upstream.on('error', close);
      client.on('close', close);
      upstream.on('close', close);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
  }

  setOnline(online: boolean): void {
    this.online = online;
    if (!online) for (const socket of this.sockets) socket.destroy();
  }

  async stop(): Promise<void> {
    this.setOnline(false);
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
  }
}
