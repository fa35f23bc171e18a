/**
 * Command-line options of `npm run bench`. Full sizes are the ones the targets in the README are
 * stated for; `--quick` shrinks everything so CI can prove every measure still runs.
 */
export const MEASURE_NAMES = [
  'initial_sync',
  'scan_verdict',
  'push_backlog',
  'propagation',
  'server_throughput',
  'api_latency',
  'attendee_list',
  'db_commands',
  'csv_import',
] as const;
export type MeasureName = (typeof MEASURE_NAMES)[number];

export type BenchOptions = {
  quick: boolean;
  bookings: number;
  scans: number;
  backlog: number;
  propagationSamples: number;
  devices: number;
  throughputSeconds: number;
  apiSamples: number;
  only: MeasureName[];
  /** The sync server's store; undefined: as `npm start` decides (SQLite unless MONGODB_URI / GATEHOUSE_STORE). */
  store: 'sqlite' | 'mongodb' | undefined;
  /** Also run the PouchDB + express-pouchdb peer on the same sizes, and print side-by-side lines. */
  peer: boolean;
};

const FULL = {
  bookings: 100_000,
  scans: 5_000,
  backlog: 10_000,
  propagationSamples: 500,
  devices: 50,
  throughputSeconds: 20,
  apiSamples: 200,
};
const QUICK = {
  bookings: 300,
  scans: 30,
  backlog: 20,
  propagationSamples: 5,
  devices: 4,
  throughputSeconds: 2,
  apiSamples: 10,
};

/** Hard ceilings, so a typo cannot start an unbounded run. */
const LIMITS = {
  bookings: 1_000_000,
  scans: 100_000,
  backlog: 100_000,
  propagationSamples: 10_000,
  devices: 500,
  throughputSeconds: 600,
  apiSamples: 10_000,
};

export const USAGE = `npm run bench -- [--quick] [--store sqlite|mongodb] [--peer] [--bookings N] [--only name[,name]]
                    [--scans N] [--backlog N] [--propagation-samples N] [--devices N] [--throughput-seconds N]
                    [--api-samples N]
measures: ${MEASURE_NAMES.join(', ')}
--store   sqlite (the default store) or mongodb (MONGODB_URI if set, else a local FerretDB)
--peer    also run the PouchDB 9 + express-pouchdb peer (initial_sync, scan_verdict, push_backlog,
          propagation) on the same sizes, then one comparison line per measure`;

export class UsageError extends Error {}

export function parseOptions(argv: readonly string[]): BenchOptions {
  const quick = argv.includes('--quick');
  const sizes: Record<keyof typeof FULL, number> = { ...(quick ? QUICK : FULL) };
  let only: MeasureName[] = [...MEASURE_NAMES];
  const numeric: Record<string, keyof typeof FULL> = {
    '--bookings': 'bookings',
    '--scans': 'scans',
    '--backlog': 'backlog',
    '--propagation-samples': 'propagationSamples',
    '--devices': 'devices',
    '--throughput-seconds': 'throughputSeconds',
    '--api-samples': 'apiSamples',
  };
  let store: BenchOptions['store'];
  let peer = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--quick') continue;
    if (arg === '--peer') {
      peer = true;
      continue;
    }
    if (arg === '--help' || arg === '-h') throw new UsageError(USAGE);
    const [flag, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined];
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`${flag} needs a value\n${USAGE}`);
    if (flag === '--only') {
      const names = value
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean);
      const unknown = names.filter((name) => !(MEASURE_NAMES as readonly string[]).includes(name));
      if (unknown.length || names.length === 0)
        throw new UsageError(`unknown measure(s): ${unknown.join(', ')}\n${USAGE}`);
      only = names as MeasureName[];
      continue;
    }
    if (flag === '--store') {
      if (value !== 'sqlite' && value !== 'mongodb') throw new UsageError(`--store takes sqlite or mongodb\n${USAGE}`);
      store = value;
      continue;
    }
    const key = numeric[flag];
    if (!key) throw new UsageError(`unknown option ${flag}\n${USAGE}`);
    const number = Number(value.replace(/_/g, ''));
    if (!Number.isInteger(number) || number < 1 || number > LIMITS[key]) {
      throw new UsageError(`${flag} must be an integer from 1 to ${LIMITS[key]}`);
    }
    sizes[key] = number;
  }
  // A scan sample or backlog larger than the event would need bookings that do not exist.
  sizes.scans = Math.min(sizes.scans, sizes.bookings);
  sizes.backlog = Math.min(sizes.backlog, sizes.bookings);
  return { quick, ...sizes, only, store, peer };
}
