/**
 * Node/V8 flags the core's own process runs with: the Electron shell passes them to its utility
 * process (electron/main/core-process.ts, `execArgv`) and the bench to its device processes
 * (scripts/bench/device.ts), so the figures the bench gives are those of the process the app ships.
 *
 * `--max-semi-space-size` (MiB) caps V8's young generation. An initial sync allocates a parsed
 * page after another (2,000 changes, about 1 MB of JSON each); with V8's default cap (16 MiB a
 * semi-space) the young generation grows to hold several of them before a scavenge, and its pages
 * stay resident: 20–25 MB of the device's peak. Pages die young, so smaller semi-spaces collect
 * the same garbage in more, shorter scavenges (each pauses for well under a millisecond, between a
 * scan's statements at worst) and the peak RSS of an initial sync of 100,000 bookings stays under
 * issue #15's 150 MB (README, Benchmarks).
 */
export const CORE_PROCESS_FLAGS: readonly string[] = ['--max-semi-space-size=4'];
