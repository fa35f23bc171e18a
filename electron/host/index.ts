import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HOST_SERVER_URL_META_NAME, HOST_TOKEN_META_NAME } from '@gatehouse/protocol';
import { createRpcDispatcher, FileTokenStore, openCore, type CoreOptions, type TokenStore } from '../core/index';
import { createRpcSocketServer } from './rpcSocket';
import { securityHeaders } from './securityHeaders';
import { withPageMeta } from './pageMeta';
import { readStaticFile } from './staticFiles';

export const DEFAULT_RENDERER_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'renderer',
  'dist',
);

export type BrowserHostOptions = {
  /** Where core keeps this device's SQLite files; one folder per device. */
  dataDir: string;
  /** 0 (default) picks a free port. */
  port?: number;
  rendererDir?: string;
  /** Pre-filled on the sign-in screen. */
  serverUrl?: string;
  /** Defaults to a 0600 file in dataDir: the browser has no OS keychain to lend. */
  tokenStore?: TokenStore;
  /** Where core's warnings and internal errors go; stderr by default. */
  log?: (line: string) => void;
  /** Sync tuning passed to core (tests poll faster). */
  core?: Omit<CoreOptions, 'dataDir' | 'tokenStore'>;
};

export type BrowserHost = { url: string; close: () => Promise<void> };

/**
 * The same renderer and core as the desktop app, in any browser on this machine: serves the built UI
 * on 127.0.0.1 and carries the core's RPC over a WebSocket that only this host's page can open.
 */
export async function startBrowserHost(options: BrowserHostOptions): Promise<BrowserHost> {
  const rendererDir = path.resolve(options.rendererDir ?? DEFAULT_RENDERER_DIR);
  const indexFile = path.join(rendererDir, 'index.html');
  if (!existsSync(indexFile)) {
    throw new Error(`No built renderer at ${rendererDir}; run \`npm run build:renderer\` first`);
  }
  const indexTemplate = await readFile(indexFile, 'utf8');
  const tokenStore = options.tokenStore ?? new FileTokenStore(path.join(options.dataDir, 'host-tokens.json'));
  const log = options.log ?? ((line: string) => console.error(line));
  const core = await openCore({
    log: (level, message) => {
      if (level !== 'info') log(`[core ${level}] ${message}`);
    },
    ...options.core,
    dataDir: options.dataDir,
    tokenStore,
  });
  const dispatcher = createRpcDispatcher(core, (message) => log(`[core rpc] ${message}`));
  const token = randomBytes(32).toString('base64url');

  let origin = '';
  let hostHeader = '';
  const indexHtml = () =>
    withPageMeta(indexTemplate, {
      [HOST_TOKEN_META_NAME]: token,
      ...(options.serverUrl ? { [HOST_SERVER_URL_META_NAME]: options.serverUrl } : {}),
    });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const headers = securityHeaders(origin);
    // A DNS-rebinding page reaches us under its own host name; refusing it keeps the token unread.
    if (request.headers.host !== hostHeader) {
      response.writeHead(421, { ...headers, 'content-type': 'text/plain; charset=utf-8' });
      response.end(`Open ${origin}/ instead.`);
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { ...headers, allow: 'GET, HEAD' });
      response.end();
      return;
    }
    const { pathname } = new URL(request.url ?? '/', origin);
    const file = pathname === '/' || pathname === '/index.html' ? null : await readStaticFile(rendererDir, pathname);
    if (file) {
      response.writeHead(200, { ...headers, 'content-type': file.contentType, 'cache-control': 'no-cache' });
      response.end(request.method === 'HEAD' ? undefined : file.body);
      return;
    }
    if (pathname.startsWith('/assets/')) {
      response.writeHead(404, { ...headers, 'content-type': 'text/plain; charset=utf-8' });
      response.end('Not found');
      return;
    }
    response.writeHead(200, { ...headers, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    response.end(request.method === 'HEAD' ? undefined : indexHtml());
  }

  const sockets = createRpcSocketServer({ dispatcher, token, allowedOrigins: () => [origin] });
  const server = createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  server.on('upgrade', (request, socket, head) => {
    if (request.headers.host !== hostHeader) {
      socket.end('HTTP/1.1 421 Misdirected Request\r\nConnection: close\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(request, socket, head);
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
  } catch (error) {
    await core.close();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  hostHeader = `127.0.0.1:${port}`;
  origin = `http://${hostHeader}`;

  let closing: Promise<void> | null = null;
  return {
    url: `${origin}/`,
    close: () => {
      closing ??= (async () => {
        await sockets.close();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await core.close();
      })();
      return closing;
    },
  };
}
