import { describe, expect, it } from 'vitest';
import { compareHlc, formatHlc, HybridClock, parseHlc } from '../src/hlc';

const DAY_MS = 24 * 3600 * 1000;

describe('hybrid logical clock', () => {
  it('formats so that string order is clock order, and parses back', () => {
    const a = formatHlc({ wallMs: 1_700_000_000_000, counter: 2, node: 'dev-a' });
    const b = formatHlc({ wallMs: 1_700_000_000_000, counter: 10, node: 'dev-a' });
    const c = formatHlc({ wallMs: 1_700_000_000_001, counter: 0, node: 'dev-a' });
    expect([c, b, a].sort()).toEqual([a, b, c]);
    expect(compareHlc(a, b)).toBe(-1);
    expect(parseHlc(b)).toEqual({ wallMs: 1_700_000_000_000, counter: 10, node: 'dev-a' });
    expect(parseHlc('12:3:x')).toBeNull();
    expect(parseHlc(`${a}:extra`)).toBeNull();
  });

  it('ticks strictly upward even when the wall clock stands still or goes back', () => {
    let now = 1_000;
    const clock = new HybridClock('n1', () => now);
    const first = clock.tick();
    const second = clock.tick();
    now = 500; // the wall clock jumped back
    const third = clock.tick();
    expect(compareHlc(first, second)).toBe(-1);
    expect(compareHlc(second, third)).toBe(-1);
    expect(parseHlc(third)!.wallMs).toBe(1_000);
  });

  it('after receiving a remote stamp, local events sort after it', () => {
    const local = new HybridClock('local', () => 1_000);
    const remote = formatHlc({ wallMs: 5_000, counter: 7, node: 'remote' });
    local.receive(remote);
    expect(compareHlc(local.tick(), remote)).toBe(1);
  });

  it('P8: a device a day behind and one a day ahead still order causally and are never refused', () => {
    const serverNow = 1_800_000_000_000;
    const behind = new HybridClock('behind', () => serverNow - DAY_MS);
    const ahead = new HybridClock('ahead', () => serverNow + DAY_MS);
    const server = new HybridClock('server', () => serverNow);
    const fromAhead = ahead.tick();
    expect(parseHlc(server.receive(fromAhead))!.wallMs).toBe(serverNow + DAY_MS);
    // The slow device sees the server's stamp and continues after it, despite its own clock.
    behind.receive(server.current());
    expect(compareHlc(behind.tick(), fromAhead)).toBe(1);
  });

  it('a counter that would overflow borrows the next millisecond', () => {
    const clock = new HybridClock('n', () => 42, formatHlc({ wallMs: 42, counter: 99_999, node: 'n' }));
    const next = parseHlc(clock.tick())!;
    expect(next).toEqual({ wallMs: 43, counter: 0, node: 'n' });
  });

  it('restores from a persisted stamp and keeps its own node id', () => {
    const clock = new HybridClock('mine', () => 10, formatHlc({ wallMs: 99, counter: 3, node: 'other' }));
    expect(parseHlc(clock.tick())).toEqual({ wallMs: 99, counter: 4, node: 'mine' });
  });
});
