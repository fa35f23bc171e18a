/**
 * The Content-Security-Policy sent with every `app://` response. The renderer is one Vite bundle
 * (ZXing included) and talks to core only through the preload bridge, so it needs nothing from the
 * network: no remote scripts, no eval, no connections, no frames, no plugins. Images allow `data:`
 * and `blob:` for ticket QR codes; `media-src blob:` and `mediastream:` let the camera preview play.
 */
export type CspDirectives = Record<string, readonly string[]>;

export function contentSecurityPolicyDirectives(): CspDirectives {
  return {
    'default-src': ["'none'"],
    'script-src': ["'self'"],
    'style-src': ["'self'"],
    'img-src': ["'self'", 'data:', 'blob:'],
    'font-src': ["'self'"],
    'media-src': ["'self'", 'blob:', 'mediastream:'],
    'connect-src': ["'self'"],
    'worker-src': ["'self'"],
    'manifest-src': ["'self'"],
    'object-src': ["'none'"],
    'frame-src': ["'none'"],
    'child-src': ["'none'"],
    'frame-ancestors': ["'none'"],
    'base-uri': ["'none'"],
    'form-action': ["'none'"],
  };
}

export function buildContentSecurityPolicy(directives: CspDirectives = contentSecurityPolicyDirectives()): string {
  return Object.entries(directives)
    .map(([name, sources]) => [name, ...sources].join(' '))
    .join('; ');
}

/** Headers for every response of the app protocol; the CSP header cannot be removed by page markup. */
export function securityHeaders(csp: string = buildContentSecurityPolicy()): Record<string, string> {
  return {
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Permissions-Policy': 'camera=(self), microphone=(), geolocation=(), usb=(), serial=(), hid=()',
  };
}
