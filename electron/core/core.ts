import { EventEmitter } from 'node:events';
import { rmSync } from 'node:fs';
import path from 'node:path';
import {
  type AccessLost,
  type ErrorCode,
  GatehouseError,
  can,
  type RpcTopic,
  type RpcTopicPayload,
  routes,
  type SessionState,
  type SyncStatus,
} from '@gatehouse/protocol';
import type { Account } from './account';
import { assembleAccount } from './account-wiring';
import { ServerApi } from './api/client';
import { salvageOutbox } from './db/salvage';
import { SaveTargets } from './exports/save-targets';
import type { CoreLog, CoreOptions } from './options';
import { accountDir, accountFile, moveDamagedStoreAside } from './session/account-files';
import { ACCESS_LOST_FOR_GOOD, saveUnsentChanges } from './session/access-lost';
import { DEFAULT_VERIFIER_COST, DeviceStore, type KnownUser, accountKeyOf } from './session/device';
import { changePassword } from './session/password';
import { AccountTokens } from './session/tokens';
import { unlockChoices } from './session/unlock-list';
import { AccountStore, type DataChange } from './store';
import { syncStatusOf } from './sync-status';

export type { CoreLog, CoreOptions } from './options';

export type StoreProblem = { code: ErrorCode; message: string; accountKey: string };

/**
 * The local node's account lifecycle: one device store, at most one open account (`Account`, which
 * holds the account's data and its one write path; domain commands live in `<domain>/commands.ts`).
 * Signs in, unlocks, signs out, recovers a damaged store, and reports sync status. All state hangs
 * off this object, so several cores (tests, devices) can live in one process.
 */
export class Core {
  readonly device: DeviceStore;
  private account: Account | null = null;
  private storeProblem: StoreProblem | null = null;
  /** Set when the server ended this device's access for good (shown until the next sign-in). */
  private accessLost: AccessLost | null = null;
  private reachable = false;
  private clockSkewMs: number | null = null;
  private readonly emitter = new EventEmitter();
  private readonly now: () => number;
  private readonly log: CoreLog;
  private closed = false;

  /** Files the user chose in Electron's save dialog, granted by main (exports/save-targets.ts). */
  readonly saveTargets = new SaveTargets();

  /** Where CSV exports are saved when no file was chosen (`<data folder>/exports`): the browser host. */
  exportsDir(): string {
    return path.join(this.options.dataDir, 'exports');
  }

  constructor(readonly options: CoreOptions) {
    this.device = new DeviceStore(options.dataDir);
    this.now = options.now ?? Date.now;
    this.log = options.log ?? (() => undefined);
    this.emitter.setMaxListeners(0);
  }

  // ---- events to the UI ----

  on<T extends RpcTopic>(topic: T, listener: (payload: RpcTopicPayload<T>) => void): () => void {
    this.emitter.on(topic, listener);
    return () => this.emitter.off(topic, listener);
  }

  private emit<T extends RpcTopic>(topic: T, payload: RpcTopicPayload<T>): void {
    if (!this.closed) this.emitter.emit(topic, payload);
  }

  private emitData(change: DataChange): void {
    if (change.tables.length > 0) this.emit('data.changed', change);
  }

  private emitStatus = (): void => {
    if (this.account?.store.db.open) {
      const status = this.syncStatus();
      this.emit('sync.status', status);
      // The photo fetcher may start or resume when the phase, the reachability or the session changed.
      this.account.photoFetcher.wakeOnChange(`${status.phase}|${this.reachable}|${this.account.serverSession}`);
    }
  };

  // ---- start-up and accounts ----

  /** Reopens the last account if its refresh token is still held (a restart, not a sign-in). */
  async restore(): Promise<void> {
    const key = this.device.lastAccount;
    const known = key ? this.device.findByAccount(key) : undefined;
    if (!known) return;
    const tokens = new AccountTokens(this.options.tokenStore, known.accountKey);
    if (!(await tokens.refreshToken())) return;
    try {
      this.openAccount(known, tokens, true);
    } catch (error) {
      if (!(error instanceof GatehouseError && error.code === 'LOCAL_STORE_CORRUPT')) throw error;
      this.log('error', error.message);
    }
  }

  /**
   * The device was revoked or its account disabled (the server said so at its first contact
   * since): what the outbox still held, and the changes the server refused, are saved to a file of
   * unsent changes first (an admin imports it), then the account's local data is wiped, as losing
   * an event already wipes that event. If the file cannot be written the data stays, and the
   * screen says so.
   */
  private async loseAccess(store: AccountStore, code: ErrorCode): Promise<void> {
    const account = this.account;
    if (!account || account.store !== store || !store.db.open) return;
    let saved: { files: string[]; changes: number } | null = null;
    try {
      saved = saveUnsentChanges(store, account, {
        dataDir: this.options.dataDir,
        now: this.now(),
        deviceId: this.device.deviceId,
        code,
      });
    } catch (error) {
      this.log(
        'error',
        `access lost (${code}), but the unsent changes could not be saved: ${(error as Error).message}`,
      );
      this.accessLost = { code, exportFiles: [], unsentChanges: -1, wiped: false };
      account.serverSession = false;
      this.emit('session.changed', this.sessionState());
      return;
    }
    this.log('warn', `access lost (${code}): ${saved?.changes ?? 0} unsent changes saved; local data wiped`);
    await this.signOut({ wipeLocalData: true });
    this.accessLost = { code, exportFiles: saved?.files ?? [], unsentChanges: saved?.changes ?? 0, wiped: true };
    this.emit('session.changed', this.sessionState());
  }

  private openAccount(known: KnownUser, tokens: AccountTokens, serverSession: boolean): Account {
    let store: AccountStore;
    try {
      // HLCs are stamped from server-corrected time: a wrong device clock orders nothing wrongly.
      store = AccountStore.open(accountFile(this.options.dataDir, known.accountKey), this.device.deviceId, () =>
        this.trustedNow(),
      );
    } catch (error) {
      if (error instanceof GatehouseError && error.code === 'LOCAL_STORE_CORRUPT') {
        this.storeProblem = { code: error.code, message: error.message, accountKey: known.accountKey };
        this.emit('session.changed', this.sessionState());
      }
      throw error;
    }
    this.storeProblem = null;
    // An account with nothing yet is in its initial sync from the start (the first pull continues it).
    store.beginInitialSync();
    const skew = store.state.get('clockSkewMs');
    this.clockSkewMs = skew === null ? null : Number(skew);
    const api = new ServerApi(
      known.serverUrl,
      this.device.deviceId,
      tokens,
      {
        onReachability: (reachable) => {
          if (this.reachable !== reachable) {
            this.reachable = reachable;
            this.emitStatus();
          }
        },
        onClockSkew: (skewMs) => {
          if (skewMs === this.clockSkewMs || !store.db.open) return;
          this.clockSkewMs = skewMs;
          store.state.set('clockSkewMs', String(skewMs));
        },
        onSessionLost: (code) => {
          if (ACCESS_LOST_FOR_GOOD.has(code)) {
            void this.loseAccess(store, code);
            return;
          }
          this.log('warn', `server session ended (${code}); local data and outbox are kept`);
          if (this.account?.store === store) this.account.serverSession = false;
          this.emit('session.changed', this.sessionState());
        },
      },
      this.options.fetch ?? fetch,
      this.now,
      this.options.protocolVersion,
    );
    const account = assembleAccount(
      { known, tokens, store, api, serverSession },
      {
        deviceId: this.device.deviceId,
        options: this.options,
        log: this.log,
        trustedNow: () => this.trustedNow(),
        current: () => this.account,
        emitStatus: this.emitStatus,
        emitData: (change) => this.emitData(change),
        emitPhotoStored: () => this.emit('data.changed', { tables: ['photos'], eventIds: [] }),
        applyProfile: (profile) => this.applyProfile(profile),
      },
    );
    this.account = account;
    this.device.setLastAccount(known.accountKey);
    if (serverSession) account.engine.start();
    account.photoFetcher.start();
    // A build a restart interrupted carries on, online or not: it needs only the rows that are here.
    account.indexer.resume();
    this.emit('session.changed', this.sessionState());
    return account;
  }

  private async closeAccount(): Promise<void> {
    const account = this.account;
    if (!account) return;
    this.account = null;
    await account.engine.stop();
    await account.indexer.stop();
    await account.photoFetcher.stop();
    account.store.close();
  }

  async close(): Promise<void> {
    await this.closeAccount();
    this.closed = true;
    this.emitter.removeAllListeners();
  }

  // ---- session ----

  sessionState(): SessionState & { storeProblem: { code: string; message: string } | null } {
    const account = this.account;
    return {
      user: account ? account.user : null,
      serverUrl: account?.serverUrl ?? null,
      deviceId: this.device.deviceId,
      online: account?.serverSession ?? false,
      ...unlockChoices(this.device.knownUsers()),
      storeProblem: this.storeProblem ? { code: this.storeProblem.code, message: this.storeProblem.message } : null,
      accessLost: this.accessLost,
    };
  }

  async signIn(params: { serverUrl: string; email: string; password: string }) {
    this.accessLost = null;
    const serverUrl = params.serverUrl.replace(/\/+$/, '');
    const session = await ServerApi.login(
      serverUrl,
      this.device.deviceId,
      { email: params.email, password: params.password },
      this.options.fetch ?? fetch,
      this.options.protocolVersion,
    );
    this.reachable = true;
    if (!can(session.user.role, 'sync.use')) {
      throw new GatehouseError('FORBIDDEN', 'The desktop app is for check-in staff, organizers and admins');
    }
    await this.closeAccount();
    const known = await this.device.remember(
      session.user,
      serverUrl,
      params.password,
      this.options.verifierCost ?? DEFAULT_VERIFIER_COST,
    );
    const tokens = new AccountTokens(this.options.tokenStore, known.accountKey);
    await tokens.store(session);
    this.openAccount(known, tokens, true);
    return this.sessionState();
  }

  /**
   * Changes the signed-in user's password on the server (every other session of theirs ends there)
   * and renews this device's offline-unlock verifier, so only the new password unlocks it offline.
   */
  changePassword(params: { currentPassword: string; newPassword: string }): Promise<{ ended: number }> {
    return changePassword(
      this.requireAccount(),
      this.device,
      params,
      this.options.verifierCost ?? DEFAULT_VERIFIER_COST,
    );
  }

  /**
   * The signed-in user's email or name changed (their profile screen here, or another device's, as
   * pulled from the `user:<id>` bucket): the session, the UI and the offline-unlock record follow.
   */
  applyProfile(profile: { email: string; name: string }): void {
    const account = this.account;
    if (!account || (account.user.email === profile.email && account.user.name === profile.name)) return;
    account.user = { ...account.user, email: profile.email, name: profile.name };
    this.device.updateProfile(account.key, profile);
    this.emit('session.changed', this.sessionState());
  }

  async unlock(params: { email: string; password: string }) {
    const known = await this.device.verify(params.email, params.password);
    if (!known) throw new GatehouseError('INVALID_CREDENTIALS', 'Email or password is wrong for offline unlock');
    await this.closeAccount();
    const tokens = new AccountTokens(this.options.tokenStore, known.accountKey);
    this.openAccount(known, tokens, (await tokens.refreshToken()) !== null);
    return this.sessionState();
  }

  async signOut(params: { wipeLocalData: boolean }) {
    const account = this.account;
    const key = account?.key ?? this.storeProblem?.accountKey ?? null;
    if (account) {
      const refreshToken = await account.tokens.refreshToken();
      if (refreshToken && account.serverSession) {
        await account.api
          .call(routes['auth.logout'], { body: { refreshToken } }, { timeoutMs: 3000 })
          .catch((error: unknown) => this.log('warn', `logout: ${(error as Error).message}`));
      }
      await account.tokens.clear();
    }
    await this.closeAccount();
    if (key) {
      this.device.setLastAccount(null);
      if (params.wipeLocalData) {
        rmSync(accountDir(this.options.dataDir, key), { recursive: true, force: true });
        this.device.forget(key);
        if (this.storeProblem?.accountKey === key) this.storeProblem = null;
      }
    }
    this.emit('session.changed', this.sessionState());
    return this.sessionState();
  }

  /**
   * Moves a damaged database aside (kept, renamed with the time), starts an empty one that resyncs,
   * and carries over whatever unsent mutations can still be read from the damaged file.
   */
  async recoverStore(): Promise<{ movedTo: string; salvagedMutations: number }> {
    const key = this.storeProblem?.accountKey ?? this.account?.key;
    if (!key) throw new GatehouseError('NOT_FOUND', 'There is no local database to recover');
    const known = this.device.findByAccount(key);
    if (!known) throw new GatehouseError('NOT_FOUND', 'The damaged database belongs to an unknown account');
    await this.closeAccount();
    const aside = moveDamagedStoreAside(this.options.dataDir, key, this.now());
    const salvaged = salvageOutbox(aside);
    const tokens = new AccountTokens(this.options.tokenStore, key);
    const account = this.openAccount(known, tokens, (await tokens.refreshToken()) !== null);
    const carried = account.store.write(() => account.store.outbox.requeue(salvaged));
    this.log('warn', `local database moved to ${aside}; ${carried} unsent mutations carried over`);
    account.engine.requestSync();
    return { movedTo: aside, salvagedMutations: carried };
  }

  // ---- helpers for domains ----

  /** The open account; UNAUTHENTICATED when none is, or the store's problem when it could not open. */
  requireAccount(): Account {
    if (this.account) return this.account;
    if (this.storeProblem) throw new GatehouseError(this.storeProblem.code, this.storeProblem.message);
    throw new GatehouseError('UNAUTHENTICATED', 'Sign in first');
  }

  /** Device time corrected by the skew measured against the server. */
  trustedNow(): number {
    return this.now() - (this.clockSkewMs ?? 0);
  }

  // ---- sync ----

  syncStatus(): SyncStatus {
    return syncStatusOf(this.account, {
      reachable: this.reachable,
      clockSkewMs: this.clockSkewMs,
      storeProblem: this.storeProblem?.message ?? null,
    });
  }

  async syncNow(): Promise<SyncStatus> {
    const account = this.requireAccount().online();
    await account.engine.syncNow();
    return this.syncStatus();
  }
}

export async function openCore(options: CoreOptions): Promise<Core> {
  const core = new Core(options);
  await core.restore();
  return core;
}

export { accountKeyOf };
