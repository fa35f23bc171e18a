/** Percentiles by nearest rank: every reported figure is one that was actually measured. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export type Summary = { count: number; p50: number; p95: number; p99: number; max: number; mean: number };

/** Summarises samples, rounded to `digits` decimals so JSON lines stay readable. */
export function summarize(samples: readonly number[], digits = 1): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (value: number) => Number(value.toFixed(digits));
  const mean = sorted.reduce((sum, value) => sum + value, 0) / Math.max(1, sorted.length);
  return {
    count: sorted.length,
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted.at(-1) ?? Number.NaN),
    mean: round(mean),
  };
}

export function round(value: number, digits = 2): number {
  return Number(value.toFixed(digits));
}

/** Microseconds since an arbitrary origin, for timing one call. */
export function nowMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}
