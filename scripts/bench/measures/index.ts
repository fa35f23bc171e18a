import type { Measure } from '../measure';
import { apiLatency } from './api-latency';
import { attendeeList } from './attendee-list';
import { csvImport } from './csv-import';
import { dbCommands } from './db-commands';
import { initialSync } from './initial-sync';
import { propagation } from './propagation';
import { pushBacklog } from './push-backlog';
import { scanVerdict } from './scan-verdict';
import { serverThroughput } from './server-throughput';

/**
 * In run order. initial_sync first (it needs a fresh device); db_commands after the device measures
 * (it stops the devices, whose pulls would count); server_throughput last, because its many
 * check-ins would otherwise turn later measures' admits into duplicates.
 */
export const MEASURES: Measure[] = [
  initialSync,
  scanVerdict,
  pushBacklog,
  propagation,
  apiLatency,
  attendeeList,
  dbCommands,
  csvImport,
  serverThroughput,
];
