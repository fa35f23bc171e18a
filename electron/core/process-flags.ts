/**
 * Node/V8 flags the core's own process runs with: the Electron shell passes them to its utility
 * process (electron/main/core-process.ts, `execArgv`) and the bench to its device processes
 * (scripts/bench/device.ts), so the figures the bench gives are those of the process the app ships.
 *
 * `--max-semi-space-size` (MiB) caps V8's young generation. An initial sync allocates a parsed
 * page after another (2,000 changes, about 1 MB of JSON each); with V8's default cap (16 MiB a
 * semi-space) the young generation may grow to hold several of them before a scavenge, and its
 * pages stay resident. Pages die young, so smaller semi-spaces collect the same garbage in more,
 * shorter scavenges. Measured on a shared machine (README, Benchmarks): a 100,000-booking initial
 * sync peaked at 135–152 MB with the cap against 143–145 MB without, with no CPU cost seen; the
 * figures vary too much there to say more than that it does no harm.
 */
export const CORE_PROCESS_FLAGS: readonly string[] = ['--max-semi-space-size=4'];
