import { readFileSync } from 'node:fs';

/** Resident set size of a process in MiB from /proc (Linux), or null where /proc is unavailable. */
export function readRssMb(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/**
 * Samples a process's RSS every `intervalMs` and keeps the peak. Sampling (rather than the kernel's
 * lifetime high-water mark) confines the peak to the measured window: start-up and sign-in, with
 * scrypt's 128 MiB working set, do not count against a sync.
 */
export class PeakRssSampler {
  private peakMb = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    intervalMs = 25,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  sample(): void {
    const rss = readRssMb(this.pid) ?? (this.pid === process.pid ? process.memoryUsage().rss / 2 ** 20 : 0);
    if (rss > this.peakMb) this.peakMb = rss;
  }

  /** Stops sampling and returns the peak in MiB, rounded. */
  stop(): number {
    this.sample();
    clearInterval(this.timer);
    return Math.round(this.peakMb);
  }
}

/** Linux's USER_HZ: /proc reports CPU time in these ticks (100 on every mainstream architecture). */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * CPU time a process has used so far (user + system, seconds) from /proc (Linux), or null where
 * /proc is unavailable. On a shared machine wall time stretches with other work; a difference of
 * these says how much work a process itself did.
 */
export function readCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces), from field 3: utime is 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/**
 * CPU seconds a process uses from now: call the returned function for the seconds used since
 * (rounded to 0.01, /proc's resolution), or null where /proc is unavailable.
 */
export function cpuSince(pid: number): () => number | null {
  const before = readCpuSeconds(pid);
  return () => {
    const after = readCpuSeconds(pid);
    return before === null || after === null ? null : Math.round((after - before) * 100) / 100;
  };
}

/** CPU seconds per 1,000 of `count` (a steadier figure of work per item than wall time), or null. */
export function cpuPerThousand(cpuSeconds: number | null, count: number): number | null {
  return cpuSeconds === null || count <= 0 ? null : Math.round((cpuSeconds / count) * 1000 * 1000) / 1000;
}
