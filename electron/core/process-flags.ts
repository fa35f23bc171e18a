/**
 * Node/V8 flags the core's own process runs with: the Electron shell passes them to its utility
 * process (electron/main/core-process.ts, `execArgv`) and the bench to its device processes
 * (scripts/bench/device.ts), so the figures the bench gives are those of the process the app ships.
 *
 * `--max-semi-space-size` (MiB) caps V8's young generation. An initial sync allocates a parsed
 * page after another (2,000 changes, about 1 MB of JSON each, several MB as objects); with V8's
 * default cap (16 MiB a semi-space) the young generation may grow to hold several of them before a
 * scavenge, and its pages stay resident. At 4 MiB a page's objects outlived their semi-space and
 * were promoted, so old-generation collections took their turn: storing 100,000 bookings
 * (tmp micro-benchmark of AccountStore.applyPullPage, CPU time, alternating runs) took 2.5–3.1 s of
 * CPU at 4 MiB, 2.0–2.4 s at 8 and 2.2–3.1 s at 16. 8 MiB holds a page's objects until they die;
 * the bench's client peak stayed within its 150 MB target (README, Benchmarks).
 */
export const CORE_PROCESS_FLAGS: readonly string[] = ['--max-semi-space-size=8'];
