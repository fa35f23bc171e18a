/**
 * Headers for every response of the host. The CSP allows only this origin's own scripts and styles
 * (ZXing and React are bundled), images from itself and data:/blob: (QR codes, camera frames), and
 * network access only back to this host's WebSocket.
 */
export function securityHeaders(origin: string): Record<string, string> {
  const socketOrigin = origin.replace(/^http/, 'ws');
  const csp = [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob: mediastream:",
    "font-src 'self'",
    `connect-src 'self' ${socketOrigin}`,
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
  return {
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'permissions-policy': 'camera=(self), microphone=(), geolocation=(), usb=(), payment=()',
  };
}
