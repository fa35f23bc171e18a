import type { Db } from 'mongodb';
import type { RunningMongo } from '../mongo';
import type { Environment } from './environment';
import type { BenchOptions, MeasureName } from './options';
import type { DevicePool } from './pool';
import type { Fixture } from './seed';
import type { BenchServer } from './server';

/** Thrown by a measure whose prerequisite is missing; the line then says `"skipped": reason`. */
export class SkipMeasure extends Error {}

export type MeasureContext = {
  options: BenchOptions;
  environment: Environment;
  mongo: RunningMongo;
  db: Db;
  server: BenchServer;
  fixture: Fixture;
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
