import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PendingRequests } from '@gatehouse/protocol/pending';
import { CORE_PROCESS_FLAGS } from '../../electron/core/process-flags';
import { agentBundleEnv } from './agent-bundle';
import type { AgentCommand, AgentReply } from './device-agent';
import { ROOT } from './paths';

/**
 * A desktop core in its own process (scripts/bench/device-agent.ts, run as the esbuild bundle the
 * app's core is built as: scripts/bench/agent-bundle.ts) with its own SQLite files: what a gate
 * laptop is, minus the UI. The driver talks to it over the IPC channel; every request
 * has a time limit, and `stop` kills the process if it does not exit in time.
 */
export class DeviceProcess {
  private readonly pending = new PendingRequests<Error>();
  private exited: string | null = null;

  private constructor(
    readonly name: string,
    readonly dataDir: string,
    private readonly child: ChildProcess,
  ) {
    child.on('message', (message: AgentReply) => {
      this.pending.settle(
        message.id,
        message.ok ? { ok: true, value: message.result } : { ok: false, error: new Error(`${name}: ${message.error}`) },
      );
    });
    child.on('exit', (code, signal) => {
      this.exited = `exited (code ${code}, signal ${signal})`;
      this.pending.failAll(new Error(`${name} ${this.exited}`));
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Starts `agent` (the bundle from scripts/bench/agent-bundle.ts) on a data folder `<parentDir>/<name>`. */
  static async start(
    name: string,
    parentDir: string,
    agent: string,
    log: (line: string) => void,
  ): Promise<DeviceProcess> {
    const dataDir = path.join(parentDir, name);
    mkdirSync(dataDir, { recursive: true });
    const child = fork(agent, [dataDir], {
      cwd: ROOT,
      env: agentBundleEnv(),
      // The flags the app's core process runs with. BENCH_PROFILE_DEVICES=<dir>: each device also
      // runs with --cpu-prof, its profile written there when it stops.
      execArgv: [
        ...CORE_PROCESS_FLAGS,
        ...(process.env.BENCH_PROFILE_DEVICES
          ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.BENCH_PROFILE_DEVICES)}`]
          : []),
      ],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    child.on('exit', (code) => {
      if (code) log(`[bench] device ${name} exited with ${code}: ${stderr}`);
    });
    const device = new DeviceProcess(name, dataDir, child);
    await device.call({ kind: 'ping' }, 60_000);
    return device;
  }

  call<T = unknown>(command: AgentCommand, timeoutMs = 120_000): Promise<T> {
    if (this.exited) return Promise.reject(new Error(`${this.name} ${this.exited}`));
    const { id, answer } = this.pending.start<T>(
      timeoutMs,
      () => new Error(`${this.name}: ${command.kind} took longer than ${timeoutMs} ms`),
    );
    try {
      this.child.send({ id, ...command });
    } catch (error) {
      this.pending.settle(id, { ok: false, error: error as Error });
    }
    return answer;
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.call({ kind: 'close' }, 10_000).catch(() => undefined);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}
