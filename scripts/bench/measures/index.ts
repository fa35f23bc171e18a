import type { Measure } from '../measure';
import { apiLatency } from './api-latency';
import { serverThroughput } from './server-throughput';

/**
 * In run order. server_throughput goes last: its many check-ins would otherwise turn later
 * measures' admits into duplicates.
 */
export const MEASURES: Measure[] = [apiLatency, serverThroughput];
