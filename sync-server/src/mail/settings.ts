import { z } from 'zod';

/** Tunables of the outbox worker; production defaults, tests shrink the times. */
export type MailSettings = {
  /** Tries before a message goes to the dead letters (a permanent SMTP refusal goes at once). */
  maxAttempts: number;
  /** Backoff before try n+1 is about base × 2^(n-1), jittered, at most cap. */
  retryBaseMs: number;
  retryCapMs: number;
  /** How long a claimed message belongs to one worker; must exceed the slowest possible send. */
  leaseMs: number;
  /** Messages in flight per server process (= SMTP pool connections). */
  concurrency: number;
  /** Connection, greeting and socket inactivity timeout of the SMTP client. */
  smtpTimeoutMs: number;
  /** How often the worker looks for due messages and the sweeper for new hand-offs. */
  pollMs: number;
};

const envSchema = z.object({
  MAIL_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(8),
  MAIL_RETRY_BASE_MS: z.coerce.number().int().min(1).default(30_000),
  MAIL_RETRY_CAP_MS: z.coerce
    .number()
    .int()
    .min(1)
    .default(60 * 60_000),
  MAIL_LEASE_MS: z.coerce
    .number()
    .int()
    .min(100)
    .default(5 * 60_000),
  MAIL_CONCURRENCY: z.coerce.number().int().min(1).max(50).default(4),
  SMTP_TIMEOUT_MS: z.coerce.number().int().min(100).default(15_000),
  MAIL_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(1_000),
});

/** Reads MAIL_* from the environment; loadConfig reports a bad value like any other variable. */
export function mailSettingsFromEnv(
  env: NodeJS.ProcessEnv,
): { ok: true; settings: MailSettings } | { ok: false; problems: string[] } {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    return { ok: false, problems: parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`) };
  }
  const e = parsed.data;
  return {
    ok: true,
    settings: {
      maxAttempts: e.MAIL_MAX_ATTEMPTS,
      retryBaseMs: e.MAIL_RETRY_BASE_MS,
      retryCapMs: Math.max(e.MAIL_RETRY_CAP_MS, e.MAIL_RETRY_BASE_MS),
      leaseMs: e.MAIL_LEASE_MS,
      concurrency: e.MAIL_CONCURRENCY,
      smtpTimeoutMs: e.SMTP_TIMEOUT_MS,
      pollMs: e.MAIL_POLL_MS,
    },
  };
}
