import type { ProtocolRange } from '@gatehouse/protocol';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { mailSettingsFromEnv, type MailSettings } from './mail/settings';

const booleanish = z
  .enum(['true', 'false', '1', '0', ''])
  .optional()
  .transform((value) => value === 'true' || value === '1');

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().default('127.0.0.1'),
  MONGODB_URI: z
    .string()
    .regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://')
    .optional(),
  MONGODB_DB: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,60}$/)
    .optional(),
  /** `sqlite` (default) or `mongodb`; MONGODB_URI alone also selects mongodb. */
  GATEHOUSE_STORE: z.enum(['sqlite', 'mongodb']).optional(),
  GATEHOUSE_DATA_DIR: z.string().default('./.data'),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  JWT_ISSUER: z.string().default('gatehouse'),
  JWT_AUDIENCE: z.string().default('gatehouse-api'),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(3600).default(900),
  REFRESH_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'must start with smtp:// or smtps://')
    .optional(),
  MAIL_FROM: z.string().default('Gatehouse <no-reply@gatehouse.local>'),
  ADMIN_EMAIL: z.email().optional(),
  ADMIN_PASSWORD: z.string().min(10, 'must be at least 10 characters').optional(),
  /** Comma-separated origins allowed to open `/sync/live` and call the API from a browser. */
  ALLOWED_ORIGINS: z.string().default(''),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(1200),
  LOGIN_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(30),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRUST_PROXY: booleanish,
});

/**
 * Where the server keeps its data: the embedded SQLite file (the default), or a MongoDB for
 * several server processes (selected by MONGODB_URI).
 */
export type StoreConfig = { kind: 'sqlite'; file: string } | { kind: 'mongodb'; uri: string; dbName: string };

export type ServerConfig = {
  port: number;
  host: string;
  store: StoreConfig;
  dataDir: string;
  /** `secret`: JWT_SECRET when set (it always wins); otherwise the store's own, taken at start. */
  jwt: Omit<JwtSettings, 'secret'> & { secret: string | undefined };
  /** The `jwt-secret` file an earlier version generated into the data folder, for the store to adopt. */
  legacyJwtSecret: string | undefined;
  smtpUrl: string | undefined;
  mailFrom: string;
  /** Outbox worker tunables (MAIL_* variables, see mail/settings). */
  mail: MailSettings;
  admin: { email: string; password: string } | undefined;
  allowedOrigins: string[];
  rateLimit: { perMinute: number; loginPerMinute: number };
  /** Failed logins per account before a temporary lock; the lock doubles and is capped (see auth/lockout). */
  lockout: { threshold: number; baseSeconds: number; maxSeconds: number };
  logLevel: string;
  trustProxy: boolean;
  /** Password hashing cost; lowered only by tests that create many users. */
  scryptCost: number;
  /**
   * Check every answer against its route's response schema, hot paths included (see
   * http/serve.ts `fastAnswer`). On unless NODE_ENV=production: tests and development catch a
   * wrong shape, production serializes the pull page fast.
   */
  checkAnswers?: boolean;
  /**
   * Protocol versions accepted (protocol/src/version.ts); SUPPORTED_PROTOCOL_RANGE unless a test
   * plays a newer or older server. Read per request.
   */
  protocolRange?: ProtocolRange;
  /**
   * How stale a process's view of a session may be, in ms (auth/session-check.ts; default
   * SESSION_CHECK_STALENESS_MS, 2 s): an ended session stops its access tokens on every process
   * within it. Set only by tests.
   */
  sessionCheckStalenessMs?: number;
  /** `/sync/live` timings (see sync/live.ts for the defaults); shortened only by tests. */
  live?: { heartbeatMs?: number; authTimeoutMs?: number; accessTtlMs?: number; pollMs?: number };
};

/** Access-token signing (HS256) and lifetimes; `secret` ≥ 32 characters. */
export type JwtSettings = {
  secret: string;
  issuer: string;
  audience: string;
  accessTtlSeconds: number;
  refreshTtlDays: number;
};

/** The configuration of a running server: the JWT secret resolved (see app.ts resolveJwtSecret). */
export type RunningConfig = ServerConfig & { jwt: JwtSettings };

export class ConfigError extends Error {}

/**
 * Reads and validates the environment once at start, so a typo fails loudly with the variable's
 * name instead of surfacing later as a confusing runtime error.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const mail = mailSettingsFromEnv(env);
  if (!mail.ok) throw new ConfigError(`Invalid configuration:\n${mail.problems.join('\n')}`);
  if ((e.ADMIN_EMAIL === undefined) !== (e.ADMIN_PASSWORD === undefined)) {
    throw new ConfigError('Invalid configuration:\n  ADMIN_EMAIL and ADMIN_PASSWORD must be set together');
  }
  const dataDir = path.resolve(e.GATEHOUSE_DATA_DIR);
  if (e.GATEHOUSE_STORE === 'mongodb' && !e.MONGODB_URI) {
    throw new ConfigError(
      'Invalid configuration:\n  GATEHOUSE_STORE=mongodb needs MONGODB_URI (npm start starts a local FerretDB and sets it)',
    );
  }
  if (e.GATEHOUSE_STORE === 'sqlite' && e.MONGODB_URI) {
    throw new ConfigError('Invalid configuration:\n  GATEHOUSE_STORE=sqlite and MONGODB_URI contradict each other');
  }
  const store: StoreConfig = e.MONGODB_URI
    ? { kind: 'mongodb', uri: e.MONGODB_URI, dbName: e.MONGODB_DB ?? 'gatehouse' }
    : { kind: 'sqlite', file: path.join(dataDir, 'gatehouse.db') };
  return {
    port: e.PORT,
    host: e.HOST,
    store,
    dataDir,
    jwt: {
      secret: e.JWT_SECRET,
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
      accessTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
      refreshTtlDays: e.REFRESH_TOKEN_TTL_DAYS,
    },
    legacyJwtSecret: legacySecret(dataDir),
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
    mail: mail.settings,
    admin: e.ADMIN_EMAIL && e.ADMIN_PASSWORD ? { email: e.ADMIN_EMAIL, password: e.ADMIN_PASSWORD } : undefined,
    allowedOrigins: e.ALLOWED_ORIGINS.split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
    rateLimit: { perMinute: e.RATE_LIMIT_PER_MINUTE, loginPerMinute: e.LOGIN_RATE_LIMIT_PER_MINUTE },
    lockout: { threshold: 10, baseSeconds: 30, maxSeconds: 15 * 60 },
    logLevel: e.LOG_LEVEL,
    trustProxy: e.TRUST_PROXY,
    scryptCost: 2 ** 17,
    checkAnswers: env.NODE_ENV !== 'production',
  };
}

/**
 * The secret an earlier version generated into the data folder, if any: the store adopts it (see
 * resolveJwtSecret in app.ts) so sessions survive the upgrade. New installations keep their
 * secret in the store, where backups and migrations carry it.
 */
function legacySecret(dataDir: string): string | undefined {
  const file = path.join(dataDir, 'jwt-secret');
  if (!existsSync(file)) return undefined;
  const secret = readFileSync(file, 'utf8').trim();
  if (secret.length < 32) {
    throw new ConfigError(`Invalid configuration:\n  ${file}: the JWT secret in it must be at least 32 characters`);
  }
  return secret;
}
