import { utilityProcess } from 'electron';
import { CORE_PROCESS_FLAGS } from '../core/process-flags';
import type { CoreChild } from './core-supervisor';

/**
 * Forks core (electron/dist/core.cjs) as an Electron utility process. Core reads RPC and tokenStore
 * frames from `process.parentPort` and keeps its SQLite database under GATEHOUSE_CORE_DATA_DIR.
 * It runs with CORE_PROCESS_FLAGS (V8's young generation capped), as the bench's devices do.
 */
export function spawnCoreProcess(corePath: string, dataDir: string): CoreChild {
  const child = utilityProcess.fork(corePath, [], {
    serviceName: 'Gatehouse core',
    execArgv: [...CORE_PROCESS_FLAGS],
    stdio: 'inherit',
    env: { ...process.env, GATEHOUSE_CORE_DATA_DIR: dataDir },
  });
  return {
    postMessage: (message) => child.postMessage(message),
    onMessage: (listener) => child.on('message', listener),
    onExit: (listener) => child.on('exit', listener),
    kill: () => child.kill(),
  };
}
