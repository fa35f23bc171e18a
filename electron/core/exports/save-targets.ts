import path from 'node:path';
import { GatehouseError, SAVE_TARGET_TTL_MS } from '@gatehouse/protocol';

/**
 * Files the user chose in Electron's save dialog, by the one-use token main gave the renderer
 * (protocol/src/shell.ts). Main alone grants them, over its own channel to core
 * (`saveTarget.grant` frames in process.ts), so a renderer — or any page of the browser host,
 * where nothing grants — can never make core write to a path of its own choosing: it can only
 * present a token for a file the user picked. A token is taken once and lapses after
 * SAVE_TARGET_TTL_MS; grants are kept in memory only (a restarted core knows none).
 */
export class SaveTargets {
  private readonly granted = new Map<string, { path: string; until: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Records main's grant; a path that is not absolute is ignored (main only sends the dialog's). */
  grant(token: string, file: string): void {
    if (!path.isAbsolute(file)) return;
    this.forgetLapsed();
    this.granted.set(token, { path: file, until: this.now() + SAVE_TARGET_TTL_MS });
  }

  /** The granted path, once; SAVE_TARGET_UNKNOWN for a token never granted, already taken or lapsed. */
  take(token: string): string {
    this.forgetLapsed();
    const target = this.granted.get(token);
    this.granted.delete(token);
    if (!target) {
      throw new GatehouseError('SAVE_TARGET_UNKNOWN', 'The file chosen to save to is no longer known; choose it again');
    }
    return target.path;
  }

  private forgetLapsed(): void {
    const now = this.now();
    for (const [token, target] of this.granted) if (target.until <= now) this.granted.delete(token);
  }
}
