import { isAppUrl, parseUrl } from './origin';

/**
 * Where links may lead outside the app. Anything else is dropped: a compromised or confused page must
 * not be able to send the user to a look-alike sign-in page or hand `file:`/`smb:`/custom-scheme URLs
 * to the OS (which may execute them). `mailto:` is allowed for attendee addresses in the attendee list.
 */
export const DEFAULT_EXTERNAL_HOSTS: readonly string[] = ['github.com', 'www.electronjs.org'];

export interface ExternalLinkPolicy {
  /** Exact hosts or their subdomains, https only. */
  hosts: readonly string[];
  allowMailto: boolean;
}

export const DEFAULT_EXTERNAL_LINK_POLICY: ExternalLinkPolicy = { hosts: DEFAULT_EXTERNAL_HOSTS, allowMailto: true };

/** Returns the normalized URL to hand to the system browser, or null when it is not allow-listed. */
export function allowedExternalUrl(
  raw: unknown,
  policy: ExternalLinkPolicy = DEFAULT_EXTERNAL_LINK_POLICY,
): string | null {
  const url = parseUrl(raw);
  if (!url) return null;
  if (url.protocol === 'mailto:') {
    // One plain address; no headers (`?cc=…&body=…` could prefill a phishing mail).
    return policy.allowMailto && /^[^\s@/?#]+@[^\s@/?#]+$/.test(url.pathname) && url.search === '' ? url.href : null;
  }
  if (url.protocol !== 'https:' || url.username !== '' || url.password !== '' || url.port !== '') return null;
  const host = url.hostname.toLowerCase();
  const allowed = policy.hosts.some((entry) => host === entry || host.endsWith(`.${entry}`));
  return allowed ? url.href : null;
}

/**
 * `will-navigate`/`will-redirect`/`will-frame-navigate`: the window only ever shows our app. In-app
 * routing is client-side (hash or history API) and does not trigger these events; a full reload of an
 * app URL is allowed.
 */
export function isAllowedNavigation(raw: unknown): boolean {
  return isAppUrl(raw);
}

export type WindowOpenDecision = { action: 'deny'; openExternally: string | null };

/** `setWindowOpenHandler`: never a new Electron window; allow-listed links go to the system browser. */
export function decideWindowOpen(
  raw: unknown,
  policy: ExternalLinkPolicy = DEFAULT_EXTERNAL_LINK_POLICY,
): WindowOpenDecision {
  return { action: 'deny', openExternally: allowedExternalUrl(raw, policy) };
}
