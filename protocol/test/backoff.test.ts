import { describe, expect, it } from 'vitest';
import { backoffMs } from '../src/backoff';

describe('backoffMs', () => {
  it('doubles from the base and stops at the cap', () => {
    const delays = [0, 1, 2, 3, 4, 5].map((retry) => backoffMs(retry, { baseMs: 250, capMs: 5_000 }));
    expect(delays).toEqual([250, 500, 1_000, 2_000, 4_000, 5_000]);
    expect(backoffMs(10_000, { baseMs: 250, capMs: 5_000 })).toBe(5_000);
    expect(backoffMs(-3, { baseMs: 250, capMs: 5_000 })).toBe(250);
  });

  it('with equal jitter, waits between half and all of the exponential delay', () => {
    const options = { baseMs: 1_000, capMs: 30_000, jitter: 'equal' as const };
    expect(backoffMs(2, options, () => 0)).toBe(2_000);
    expect(backoffMs(2, options, () => 0.999999)).toBe(4_000);
    expect(backoffMs(9, options, () => 0.5)).toBe(22_500);
  });
});
