import type { Environment } from './environment';
import { MongoWireCounter } from './mongo-wire';
import type { BenchOptions, MeasureName } from './options';
import type { DevicePool } from './pool';
import type { Fixture } from './seed';
import type { BenchServer } from './server';

/** Thrown by a measure whose prerequisite is missing; the line then says `"skipped": reason`. */
export class SkipMeasure extends Error {}

export type MeasureContext = {
  options: BenchOptions;
  environment: Environment;
  server: BenchServer;
  fixture: Fixture;
  /**
   * The MongoDB store's command counter (a wire-protocol proxy between server and database), or
   * why there is none: the SQLite store has no commands; a replica-set URI cannot be proxied.
   */
  commands: MongoWireCounter | string;
  /** Devices kept across measures (a synced 100k-booking device is expensive to make). */
  devices: DevicePool;
  /** A directory of this run, removed at the end: device data folders go under it. */
  dataDir: string;
  log: (line: string) => void;
  /** Registers clean-up (stop a device, a proxy) that runs after the measure, even when it fails. */
  defer: (cleanup: () => Promise<void> | void) => void;
  /** Hands out disjoint booking index ranges, so one measure's check-ins never turn another's into duplicates. */
  takeBookings: (count: number) => string[];
};

export type Figures = Record<string, unknown>;

export type Measure = {
  name: MeasureName;
  /** Upper bound on the measure's wall time at full size; quick mode uses a fraction of it. */
  timeLimitSeconds: number;
  run: (ctx: MeasureContext) => Promise<Figures>;
};

/**
 * Runs `work` and counts the database commands the server sent meanwhile; null when they are not
 * counted (the SQLite store). Anything else the server does at that time counts too: measures that
 * use it run nothing else against the server.
 */
export async function countCommands<T>(
  ctx: MeasureContext,
  work: () => Promise<T>,
): Promise<{ result: T; commands: number | null }> {
  const counter = ctx.commands;
  if (typeof counter === 'string') return { result: await work(), commands: null };
  const before = counter.snapshot();
  const result = await work();
  return { result, commands: MongoWireCounter.diff(before, counter.snapshot()).total };
}
