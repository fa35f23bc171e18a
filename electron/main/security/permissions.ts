import { isAppUrl, parseUrl } from './origin';

/**
 * Permission policy: everything is denied except the camera (video only, no microphone) for the
 * check-in screen of our own app, asked from the main frame. The check-in screen is recognised by its
 * route — `/checkin` or `/check-in` as a path or hash route, optionally followed by `/…` or `?…`.
 */
const CHECKIN_ROUTE = /^\/(checkin|check-in)(\/|\?|$)/;

export interface PermissionRequest {
  /** Electron's permission name, e.g. 'media', 'notifications', 'geolocation'. */
  permission: string;
  /** The URL of the frame asking (details.requestingUrl, or the check handler's requestingOrigin). */
  requestingUrl: string | undefined;
  isMainFrame: boolean;
  /** For 'media': what is asked for; Electron lists 'video' and/or 'audio'. */
  mediaTypes?: readonly string[] | undefined;
}

export function isCheckinScreen(raw: unknown): boolean {
  const url = parseUrl(raw);
  if (!url || !isAppUrl(raw)) return false;
  const hashRoute = url.hash.startsWith('#') ? url.hash.slice(1) : '';
  return CHECKIN_ROUTE.test(url.pathname) || CHECKIN_ROUTE.test(hashRoute);
}

function asksForVideoOnly(mediaTypes: readonly string[] | undefined): boolean {
  return Array.isArray(mediaTypes) && mediaTypes.length > 0 && mediaTypes.every((type) => type === 'video');
}

/** `session.setPermissionRequestHandler`: the actual prompt (getUserMedia, notifications, …). */
export function decidePermission(request: PermissionRequest): boolean {
  return (
    request.permission === 'media' &&
    request.isMainFrame &&
    asksForVideoOnly(request.mediaTypes) &&
    isCheckinScreen(request.requestingUrl)
  );
}

/**
 * `session.setPermissionCheckHandler`: synchronous "is it granted?" queries (enumerateDevices,
 * permissions.query). Answers for the app origin only, and only about video: a check carries the
 * origin, not the route, so the route is enforced by the request handler above.
 */
export function decidePermissionCheck(check: {
  permission: string;
  requestingOrigin: string;
  mediaType?: string | undefined;
}): boolean {
  return check.permission === 'media' && check.mediaType === 'video' && isAppUrl(check.requestingOrigin);
}

/** HID, serial, USB, Bluetooth: a keyboard-wedge scanner is a keyboard and needs none of these. */
export function decideDevicePermission(): boolean {
  return false;
}
