export { buildServer, type BuiltServer } from './app';
export { loadConfig, type RunningConfig, type ServerConfig } from './config';
export type { AppContext } from './context';
