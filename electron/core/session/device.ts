import { createHash, randomBytes, randomUUID, scrypt, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Role } from '@gatehouse/protocol';
import { z } from 'zod';

/** scrypt at N=2^15 (~60 ms): offline unlock is rare, guessing must stay slow. Tests lower it. */
export const DEFAULT_VERIFIER_COST = 2 ** 15;

const knownUserSchema = z.object({
  userId: z.string(),
  email: z.string(),
  name: z.string(),
  role: z.string(),
  serverUrl: z.string(),
  accountKey: z.string(),
  salt: z.string(),
  verifier: z.string(),
  cost: z.number().int(),
  lastSignInAt: z.string(),
});
export type KnownUser = z.infer<typeof knownUserSchema> & { role: Role };

const deviceFileSchema = z.object({
  deviceId: z.uuid(),
  knownUsers: z.array(knownUserSchema).default([]),
  /** The account to reopen at start (cleared by sign-out). */
  lastAccount: z.string().nullable().default(null),
});
type DeviceFile = z.infer<typeof deviceFileSchema>;

/** One database per (server, user): the folder name must not reveal the email, so it is a hash. */
export function accountKeyOf(serverUrl: string, userId: string): string {
  return createHash('sha256').update(`${serverUrl}\n${userId}`).digest('hex').slice(0, 24);
}

function derive(password: string, salt: Buffer, cost: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, 32, { N: cost, r: 8, p: 1, maxmem: 256 * cost * 8 + 1024 * 1024 }, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

/**
 * Device-level facts kept beside the account databases: this device's id and, per user who signed
 * in here, a scrypt verifier of their password for offline unlock — never the password itself.
 */
export class DeviceStore {
  private data: DeviceFile;
  private readonly file: string;

  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'device.json');
    mkdirSync(dataDir, { recursive: true });
    let loaded: DeviceFile | null = null;
    try {
      loaded = deviceFileSchema.parse(JSON.parse(readFileSync(this.file, 'utf8')));
    } catch {
      loaded = null;
    }
    this.data = loaded ?? { deviceId: randomUUID(), knownUsers: [], lastAccount: null };
    if (!loaded) this.save();
  }

  get deviceId(): string {
    return this.data.deviceId;
  }
  get lastAccount(): string | null {
    return this.data.lastAccount;
  }
  knownUsers(): KnownUser[] {
    return this.data.knownUsers as KnownUser[];
  }
  findByAccount(accountKey: string): KnownUser | undefined {
    return this.knownUsers().find((user) => user.accountKey === accountKey);
  }

  setLastAccount(accountKey: string | null): void {
    this.data.lastAccount = accountKey;
    this.save();
  }

  async remember(
    user: { id: string; email: string; name: string; role: Role },
    serverUrl: string,
    password: string,
    cost: number,
  ): Promise<KnownUser> {
    const salt = randomBytes(16);
    const verifier = await derive(password, salt, cost);
    const entry: KnownUser = {
      userId: user.id,
      email: user.email,
      name: user.name,
      role: user.role,
      serverUrl,
      accountKey: accountKeyOf(serverUrl, user.id),
      salt: salt.toString('base64'),
      verifier: verifier.toString('base64'),
      cost,
      lastSignInAt: new Date().toISOString(),
    };
    this.data.knownUsers = [entry, ...this.data.knownUsers.filter((known) => known.accountKey !== entry.accountKey)];
    this.save();
    return entry;
  }

  /** The most recent account of this email whose verifier matches, else null (same cost either way). */
  async verify(email: string, password: string): Promise<KnownUser | null> {
    const candidates = this.knownUsers().filter((user) => user.email === email);
    let match: KnownUser | null = null;
    for (const user of candidates) {
      const derived = await derive(password, Buffer.from(user.salt, 'base64'), user.cost);
      if (!match && timingSafeEqual(derived, Buffer.from(user.verifier, 'base64'))) match = user;
    }
    if (candidates.length === 0) await derive(password, randomBytes(16), 2 ** 12);
    return match;
  }

  /**
   * Keeps a known user's email and name as the server now has them, so that offline unlock takes
   * the email they sign in with (an email change) and the sign-in list shows their name.
   */
  updateProfile(accountKey: string, profile: { email: string; name: string }): void {
    const known = this.findByAccount(accountKey);
    if (!known || (known.email === profile.email && known.name === profile.name)) return;
    this.data.knownUsers = this.data.knownUsers.map((user) =>
      user.accountKey === accountKey ? { ...user, email: profile.email, name: profile.name } : user,
    );
    this.save();
  }

  forget(accountKey: string): void {
    this.data.knownUsers = this.data.knownUsers.filter((user) => user.accountKey !== accountKey);
    if (this.data.lastAccount === accountKey) this.data.lastAccount = null;
    this.save();
  }

  private save(): void {
    const temp = `${this.file}.tmp`;
    writeFileSync(temp, JSON.stringify(this.data, null, 2), { mode: 0o600 });
    renameSync(temp, this.file);
  }
}
