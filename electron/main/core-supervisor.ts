import {
  backoffMs,
  rpcMethods,
  rpcRequestFrameSchema,
  rpcTopics,
  tokenStoreRequestFrameSchema,
  type RpcRequestFrame,
  type RpcServerFrame,
  type SaveTargetGrantFrame,
  type ShellStatus,
} from '@gatehouse/protocol';
import { answerTokenStoreRequest, type TokenVault } from './token-vault';

/**
 * Runs core (electron/core/process.ts in a `utilityProcess`) and relays frames between the renderer
 * and it. Electron-free: the wiring passes a `spawn` that forks the utility process; tests pass a real
 * Node child process speaking the same frames.
 *
 * Request ids are re-numbered on the way to core, so a renderer reload (ids start again at 1) can never
 * receive an answer meant for the previous page. When core dies, every request in flight is answered
 * with SERVICE_UNAVAILABLE at once (the UI never hangs), core is restarted with backoff, and the UI is
 * told through the `shell.status` topic. Restarts are bounded: after `maxRestarts` crashes within
 * `restartWindowMs` the supervisor gives up and says so.
 */
export interface CoreChild {
  postMessage(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  onExit(listener: (code: number | null) => void): void;
  kill(): void;
}

export interface CoreSupervisorOptions {
  spawn: () => CoreChild;
  vault: TokenVault;
  /** Delivers a frame to the renderer (webContents.send in the wiring). */
  toRenderer: (frame: RpcServerFrame) => void;
  maxRestarts?: number;
  restartWindowMs?: number;
  /** Backoff before restart n (0-based). */
  restartDelayMs?: (attempt: number) => number;
  now?: () => number;
}

const UNAVAILABLE_MESSAGE = 'The local Gatehouse core stopped unexpectedly and is being restarted. Please try again.';

export class CoreSupervisor {
  private child: CoreChild | null = null;
  private stopping = false;
  private nextCoreId = 1;
  private readonly pending = new Map<number, number>();
  private readonly crashTimes: number[] = [];
  private restartTimer: ReturnType<typeof setTimeout> | null = null;
  private shellStatus: ShellStatus;
  private readonly options: Required<CoreSupervisorOptions>;

  constructor(options: CoreSupervisorOptions) {
    this.options = {
      maxRestarts: 5,
      restartWindowMs: 60_000,
      restartDelayMs: (attempt) => backoffMs(attempt, { baseMs: 250, capMs: 5_000 }),
      now: () => Date.now(),
      ...options,
    };
    this.shellStatus = {
      tokenStorage: options.vault.policy.persist ? 'encrypted' : 'memoryOnly',
      tokenStorageReason: options.vault.policy.reason,
      coreRestarts: 0,
      lastCoreRestartAt: null,
      coreDownReason: null,
    };
  }

  get status(): ShellStatus {
    return this.shellStatus;
  }

  get running(): boolean {
    return this.child !== null;
  }

  start(): void {
    this.stopping = false;
    this.launch();
  }

  stop(): void {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const child = this.child;
    this.child = null;
    this.failPending('The app is shutting down.');
    child?.kill();
  }

  /** Sends the current shell status to the renderer (on page load, and on every change). */
  publishStatus(): void {
    this.options.toRenderer({ type: 'event', topic: 'shell.status', payload: this.shellStatus });
  }

  /** A frame from the (already sender-checked) renderer. Malformed frames are dropped or answered. */
  fromRenderer(raw: unknown): void {
    const parsed = rpcRequestFrameSchema.safeParse(raw);
    if (!parsed.success) return;
    const frame = parsed.data;
    if (!Object.hasOwn(rpcMethods, frame.method)) {
      this.answer(frame.id, 'NOT_FOUND', `Unknown method "${frame.method}".`);
      return;
    }
    if (!this.child) {
      this.answer(frame.id, 'SERVICE_UNAVAILABLE', this.shellStatus.coreDownReason ?? UNAVAILABLE_MESSAGE);
      return;
    }
    const coreId = this.nextCoreId++;
    this.pending.set(coreId, frame.id);
    const forwarded: RpcRequestFrame = { type: 'request', id: coreId, method: frame.method, params: frame.params };
    this.child.postMessage(forwarded);
  }

  /**
   * Tells core the file the user chose in the save dialog for the export presenting `token`
   * (save-dialog.ts); core keeps it for that one export. False when core is not running.
   */
  grantSaveTarget(token: string, file: string): boolean {
    if (!this.child) return false;
    const frame: SaveTargetGrantFrame = { type: 'saveTarget.grant', token, path: file };
    this.child.postMessage(frame);
    return true;
  }

  private launch(): void {
    const child = this.options.spawn();
    this.child = child;
    child.onMessage((message) => {
      if (this.child === child) this.fromCore(child, message);
    });
    child.onExit((code) => {
      if (this.child !== child) return;
      this.child = null;
      if (!this.stopping) this.crashed(code);
    });
  }

  private fromCore(child: CoreChild, message: unknown): void {
    if (!message || typeof message !== 'object') return;
    const type = (message as { type?: unknown }).type;
    if (type === 'tokenStore.request') {
      const request = tokenStoreRequestFrameSchema.safeParse(message);
      if (request.success) child.postMessage(answerTokenStoreRequest(this.options.vault, request.data));
      return;
    }
    if (type === 'response') {
      const frame = message as { id?: unknown };
      if (typeof frame.id !== 'number') return;
      const rendererId = this.pending.get(frame.id);
      if (rendererId === undefined) return;
      this.pending.delete(frame.id);
      this.options.toRenderer({ ...(message as RpcServerFrame & { type: 'response' }), id: rendererId });
      return;
    }
    if (type === 'event') {
      const topic = (message as { topic?: unknown }).topic;
      if (typeof topic === 'string' && Object.hasOwn(rpcTopics, topic)) {
        this.options.toRenderer(message as RpcServerFrame);
      }
    }
  }

  private crashed(code: number | null): void {
    const now = this.options.now();
    this.failPending(UNAVAILABLE_MESSAGE);
    this.crashTimes.push(now);
    while (this.crashTimes.length > 0 && now - this.crashTimes[0]! > this.options.restartWindowMs)
      this.crashTimes.shift();

    if (this.crashTimes.length > this.options.maxRestarts) {
      this.shellStatus = {
        ...this.shellStatus,
        coreDownReason: `The local Gatehouse core crashed ${this.crashTimes.length} times in a row (last exit code ${code}); restart the app. Your data on this device is kept.`,
      };
      this.publishStatus();
      return;
    }
    this.shellStatus = {
      ...this.shellStatus,
      coreDownReason: `The local core stopped (exit code ${code}); restarting…`,
    };
    this.publishStatus();
    this.restartTimer = setTimeout(
      () => {
        this.restartTimer = null;
        if (this.stopping) return;
        this.launch();
        this.shellStatus = {
          ...this.shellStatus,
          coreRestarts: this.shellStatus.coreRestarts + 1,
          lastCoreRestartAt: new Date(this.options.now()).toISOString(),
          coreDownReason: null,
        };
        this.publishStatus();
      },
      this.options.restartDelayMs(this.crashTimes.length - 1),
    );
  }

  private failPending(message: string): void {
    for (const rendererId of this.pending.values()) this.answer(rendererId, 'SERVICE_UNAVAILABLE', message);
    this.pending.clear();
  }

  private answer(id: number, code: 'NOT_FOUND' | 'SERVICE_UNAVAILABLE', message: string): void {
    this.options.toRenderer({ type: 'response', id, ok: false, error: { code, message } });
  }
}
