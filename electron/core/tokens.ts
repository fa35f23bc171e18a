import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Where core keeps refresh/access tokens. Core never persists tokens itself: Electron backs this with
 * `safeStorage` (in main, reached over the parent port), tests use memory, the browser host and the
 * stand-alone process use a 0600 file.
 */
export interface TokenStore {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
}

export class MemoryTokenStore implements TokenStore {
  private readonly values = new Map<string, string>();
  async get(key: string): Promise<string | null> {
    return this.values.get(key) ?? null;
  }
  async set(key: string, value: string): Promise<void> {
    this.values.set(key, value);
  }
  async delete(key: string): Promise<void> {
    this.values.delete(key);
  }
}

/**
 * A JSON file readable by the owner only (0600), for hosts without an OS keychain. Writes go to a
 * temporary file and are renamed into place, so a crash never leaves half a file.
 */
export class FileTokenStore implements TokenStore {
  private queue: Promise<unknown> = Promise.resolve();
  constructor(private readonly file: string) {}

  async get(key: string): Promise<string | null> {
    await this.queue;
    return (await this.readAll())[key] ?? null;
  }
  set(key: string, value: string): Promise<void> {
    return this.update((all) => {
      all[key] = value;
    });
  }
  delete(key: string): Promise<void> {
    return this.update((all) => {
      delete all[key];
    });
  }

  private update(change: (all: Record<string, string>) => void): Promise<void> {
    const next = this.queue.then(async () => {
      const all = await this.readAll();
      change(all);
      await mkdir(path.dirname(this.file), { recursive: true });
      const temp = `${this.file}.${process.pid}.tmp`;
      await writeFile(temp, JSON.stringify(all), { mode: 0o600 });
      await chmod(temp, 0o600);
      await rename(temp, this.file);
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async readAll(): Promise<Record<string, string>> {
    try {
      const parsed: unknown = JSON.parse(await readFile(this.file, 'utf8'));
      return parsed && typeof parsed === 'object' ? (parsed as Record<string, string>) : {};
    } catch {
      return {};
    }
  }
}
