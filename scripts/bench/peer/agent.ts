import { fork, type ChildProcess } from 'node:child_process';
import { ROOT } from '../paths';

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void; timer: NodeJS.Timeout };

export type AgentMessage = { id: number } & Record<string, unknown>;
export type AgentAnswer = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

/**
 * A peer process (PouchDB server or client) driven over the IPC channel, like a bench device: each
 * request has a time limit, and `stop` kills the process if it does not exit in time.
 */
export class PeerProcess<Command extends { kind: string }> {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private exited: string | null = null;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    child.on('message', (message: AgentAnswer) => {
      const waiting = this.pending.get(message.id);
      if (!waiting) return;
      this.pending.delete(message.id);
      clearTimeout(waiting.timer);
      if (message.ok) waiting.resolve(message.result);
      else waiting.reject(new Error(`${name}: ${message.error}`));
    });
    child.on('exit', (code, signal) => {
      this.exited = `exited (code ${code}, signal ${signal})`;
      for (const [, waiting] of this.pending) {
        clearTimeout(waiting.timer);
        waiting.reject(new Error(`${name} ${this.exited}`));
      }
      this.pending.clear();
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  static async start<Command extends { kind: string }>(
    name: string,
    entry: string,
    args: string[],
    log: (line: string) => void,
  ): Promise<PeerProcess<Command>> {
    const child = fork(entry, args, {
      cwd: ROOT,
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    child.on('exit', (code) => {
      if (code) log(`[bench] peer ${name} exited with ${code}: ${stderr}`);
    });
    const peer = new PeerProcess<Command>(name, child);
    await peer.call({ kind: 'ping' } as unknown as Command, 60_000);
    return peer;
  }

  call<T = unknown>(command: Command, timeoutMs = 120_000): Promise<T> {
    if (this.exited) return Promise.reject(new Error(`${this.name} ${this.exited}`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name}: ${command.kind} took longer than ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      this.child.send({ id, ...command });
    });
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.call({ kind: 'close' } as unknown as Command, 10_000).catch(() => undefined);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * The child's side: answers each IPC message with `handle`'s result, and exits when the parent goes.
 * Listening starts at once (messages sent before a listener exists are dropped).
 */
export function serveAgent<Command extends { kind: string }>(handle: (command: Command) => Promise<unknown>): void {
  process.on('message', (message: Command & { id: number }) => {
    Promise.resolve()
      .then(() => handle(message))
      .then(
        (result) => process.send?.({ id: message.id, ok: true, result } satisfies AgentAnswer),
        (error: unknown) =>
          process.send?.({
            id: message.id,
            ok: false,
            error: (error as Error).message ?? String(error),
          } satisfies AgentAnswer),
      );
  });
  process.on('disconnect', () => process.exit(0));
}
