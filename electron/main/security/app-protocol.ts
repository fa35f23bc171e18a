import { withPageMeta } from '../../host/pageMeta';
import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { securityHeaders } from './csp';
import { isAppUrl, parseUrl } from './origin';

/**
 * Maps `app://gatehouse/<path>` to a file under the built renderer folder. The URL parser already
 * folds `..` and `%2e%2e`, but an encoded slash or backslash (`..%2f`, `..%5c`) survives parsing and
 * becomes a separator after decoding, so the decoded path is checked segment by segment and the
 * resolved file must still lie inside the root.
 */
export type AppAssetResolution =
  { kind: 'file'; filePath: string; mimeType: string } | { kind: 'forbidden'; reason: string } | { kind: 'notFound' };

const MIME_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.mp3': 'audio/mpeg',
  '.wav': 'audio/wav',
  '.ogg': 'audio/ogg',
  '.txt': 'text/plain; charset=utf-8',
};

export function mimeTypeFor(filePath: string): string | null {
  return MIME_TYPES[path.extname(filePath).toLowerCase()] ?? null;
}

export function resolveAppAsset(requestUrl: string, rootDir: string): AppAssetResolution {
  if (!isAppUrl(requestUrl)) return { kind: 'forbidden', reason: 'not the app origin' };
  const url = parseUrl(requestUrl);
  if (!url) return { kind: 'forbidden', reason: 'unparseable URL' };

  let decoded: string;
  try {
    decoded = decodeURIComponent(url.pathname);
  } catch {
    return { kind: 'forbidden', reason: 'malformed percent-encoding' };
  }
  if (decoded.includes('\0')) return { kind: 'forbidden', reason: 'null byte' };
  if (decoded.includes('\\')) return { kind: 'forbidden', reason: 'backslash' };
  const segments = decoded.split('/').filter((segment) => segment.length > 0);
  if (segments.some((segment) => segment === '..' || segment === '.')) {
    return { kind: 'forbidden', reason: 'dot segment' };
  }
  if (segments.some((segment) => /^[a-zA-Z]:/.test(segment) || segment.startsWith('~'))) {
    return { kind: 'forbidden', reason: 'drive or home reference' };
  }

  // Client-side routes (no file extension) all load the single page.
  const relative = segments.length === 0 || path.extname(segments.at(-1)!) === '' ? 'index.html' : segments.join('/');
  const root = path.resolve(rootDir);
  const filePath = path.resolve(root, relative);
  const fromRoot = path.relative(root, filePath);
  if (fromRoot === '' || fromRoot.startsWith('..') || path.isAbsolute(fromRoot)) {
    return { kind: 'forbidden', reason: 'outside the app folder' };
  }
  const mimeType = mimeTypeFor(filePath);
  if (!mimeType) return { kind: 'notFound' };
  return { kind: 'file', filePath, mimeType };
}

/**
 * The whole `protocol.handle('app', …)` body, Electron-free so it runs in tests: resolve, read, answer
 * with the CSP and hardening headers. Only GET/HEAD; errors carry no file system details.
 */
export async function serveAppRequest(
  request: { url: string; method: string },
  rootDir: string,
  options: { csp?: string; pageMeta?: Record<string, string> } = {},
): Promise<Response> {
  const { csp, pageMeta = {} } = options;
  const headers = securityHeaders(csp);
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return new Response('Method not allowed', { status: 405, headers });
  }
  const resolution = resolveAppAsset(request.url, rootDir);
  if (resolution.kind === 'forbidden') return new Response('Forbidden', { status: 403, headers });
  if (resolution.kind === 'notFound') return new Response('Not found', { status: 404, headers });
  try {
    // A symlink inside the folder must not lead out of it.
    const [realRoot, realFile] = await Promise.all([realpath(rootDir), realpath(resolution.filePath)]);
    if (path.relative(realRoot, realFile).startsWith('..')) return new Response('Forbidden', { status: 403, headers });
    const bytes = await readFile(realFile);
    const body = resolution.mimeType.startsWith('text/html')
      ? withPageMeta(bytes.toString('utf8'), pageMeta)
      : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return new Response(request.method === 'HEAD' ? null : body, {
      status: 200,
      headers: { ...headers, 'Content-Type': resolution.mimeType, 'Cache-Control': 'no-cache' },
    });
  } catch {
    return new Response('Not found', { status: 404, headers });
  }
}

export { withPageMeta };
