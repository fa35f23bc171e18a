/**
 * The one backoff rule for every retry loop (mail sends, mail hand-offs, the live socket's
 * reconnects, core restarts, the browser bridge's reconnects): the n-th retry (0-based) waits
 * `baseMs · 2ⁿ`, at most `capMs`, in ms. With `jitter: 'equal'` half of that is fixed and half
 * random ("equal jitter", AWS Architecture Blog, "Exponential Backoff and Jitter", 2015), so
 * many devices that lost the server together do not all come back in the same millisecond.
 */
export function backoffMs(
  retry: number,
  options: { baseMs: number; capMs: number; jitter?: 'none' | 'equal' },
  random: () => number = Math.random,
): number {
  // 2^30 × any sane base is far past every cap; the exponent is bounded so the number stays finite.
  const exponential = Math.min(options.capMs, options.baseMs * 2 ** Math.min(Math.max(0, retry), 30));
  if (options.jitter !== 'equal') return exponential;
  return Math.round(exponential / 2 + random() * (exponential / 2));
}
