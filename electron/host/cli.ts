/**
 * `tsx electron/host/cli.ts [--port 5173] [--data-dir DIR] [--server-url URL] [--renderer-dir DIR]`:
 * the app in a browser, for machines without Electron, kiosks and development.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startBrowserHost } from './index';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'data-dir': { type: 'string' },
    'server-url': { type: 'string' },
    'renderer-dir': { type: 'string' },
  },
});

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be a port number, not ${values.port}`);
  process.exit(2);
}
const dataDir = path.resolve(
  values['data-dir'] ?? path.join(process.env.GATEHOUSE_DATA_DIR ?? '.data', 'browser-host'),
);

startBrowserHost({
  dataDir,
  port,
  ...(values['server-url'] ? { serverUrl: values['server-url'] } : {}),
  ...(values['renderer-dir'] ? { rendererDir: values['renderer-dir'] } : {}),
}).then(
  (host) => {
    console.log(`Gatehouse in your browser: ${host.url}`);
    console.log(`Device data: ${dataDir}`);
    const stop = () => void host.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
