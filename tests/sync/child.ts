import { type ChildProcess, fork } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  PROTOCOL_RANGE_HEADER,
  type RpcMethod,
  type RpcParams,
  type RpcResponseFrame,
  type RpcResult,
} from '@gatehouse/protocol';

const PROCESS_ENTRY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../electron/core/process.ts');
const CALL_TIMEOUT_MS = 60_000;

/** The core as its own OS process (electron/core/process.ts over Node IPC), so a test can kill -9 it. */
export class CoreChild {
  private nextId = 1;
  private readonly waiting = new Map<number, (frame: RpcResponseFrame) => void>();
  readonly exited: Promise<number | null>;
  readonly output: string[] = [];

  private constructor(readonly child: ChildProcess) {
    child.on('message', (frame: { type?: string; id?: number }) => {
      if (frame?.type === 'response' && typeof frame.id === 'number') {
        this.waiting.get(frame.id)?.(frame as RpcResponseFrame);
        this.waiting.delete(frame.id);
      }
    });
    child.stdout?.on('data', (chunk) => this.output.push(String(chunk)));
    child.stderr?.on('data', (chunk) => this.output.push(String(chunk)));
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  static start(dataDir: string, env: Record<string, string> = {}): CoreChild {
    const child = fork(PROCESS_ENTRY, [], {
      execArgv: ['--import', 'tsx'],
      env: {
        ...process.env,
        GATEHOUSE_CORE_DATA_DIR: dataDir,
        GATEHOUSE_CORE_AUTO_SYNC: '0',
        GATEHOUSE_CORE_VERIFIER_COST: '1024',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    return new CoreChild(child);
  }

  /** Sends a request; resolves with the raw response frame, or null if the process dies first. */
  call(method: string, params: unknown): Promise<RpcResponseFrame | null> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve(null);
      }, CALL_TIMEOUT_MS);
      this.waiting.set(id, (frame) => {
        clearTimeout(timer);
        resolve(frame);
      });
      void this.exited.then(() => {
        clearTimeout(timer);
        resolve(null);
      });
      this.child.send({ type: 'request', id, method, params });
    });
  }

  async invoke<M extends RpcMethod>(method: M, params: RpcParams<M>): Promise<RpcResult<M>> {
    const frame = await this.call(method, params);
    if (!frame) throw new Error(`core process ended during ${method}: ${this.output.join('')}`);
    if (!frame.ok) throw Object.assign(new Error(`${method}: ${frame.error.code} ${frame.error.message}`), frame.error);
    return frame.result as RpcResult<M>;
  }

  async kill9(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    await this.exited;
  }
}

export type ProxiedExchange = {
  method: string;
  url: string;
  requestBody: string;
  status: number;
  responseBody: string;
};

/**
 * A loopback HTTP relay between a device and the server, so a test can act at the exact moment a
 * request reached the server and its answer has not yet reached the device.
 */
export class InterceptingProxy {
  /** Called when a request arrives, before it is forwarded (the device is waiting for its answer). */
  onRequest: (method: string, url: string) => Promise<void> | void = () => undefined;
  /** Called after the server answered, before the answer is relayed; return false to never relay it. */
  onAnswered: (exchange: ProxiedExchange) => Promise<boolean> | boolean = () => true;
  readonly exchanges: ProxiedExchange[] = [];
  private constructor(
    private readonly server: Server,
    readonly baseUrl: string,
  ) {}

  static async start(target: string): Promise<InterceptingProxy> {
    let proxy: InterceptingProxy | null = null;
    const server = createServer((request, response) => {
      void (async () => {
        const requestBody = await readBody(request);
        await proxy!.onRequest(request.method ?? 'GET', request.url ?? '');
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(request.headers)) {
          if (typeof value === 'string' && !['host', 'connection', 'content-length'].includes(name))
            headers[name] = value;
        }
        let answer: Response;
        try {
          answer = await fetch(target + request.url, {
            method: request.method,
            headers,
            body: request.method === 'GET' || request.method === 'HEAD' ? undefined : requestBody,
          });
        } catch {
          response.destroy();
          return;
        }
        const responseBody = await answer.text();
        const exchange = {
          method: request.method ?? 'GET',
          url: request.url ?? '',
          requestBody,
          status: answer.status,
          responseBody,
        };
        proxy!.exchanges.push(exchange);
        if (!(await proxy!.onAnswered(exchange))) {
          response.destroy();
          return;
        }
        // The headers a device reads: the body's type, the clock, and the protocol range it accepts.
        const passed = ['date', PROTOCOL_RANGE_HEADER].flatMap((name) => {
          const value = answer.headers.get(name);
          return value ? [[name, value] as const] : [];
        });
        response.writeHead(answer.status, {
          'content-type': answer.headers.get('content-type') ?? 'application/json',
          ...Object.fromEntries(passed),
        });
        response.end(responseBody);
      })();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    proxy = new InterceptingProxy(server, `http://127.0.0.1:${port}`);
    return proxy;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}
