import { isAppUrl } from './origin';

/**
 * Every IPC message is checked before it reaches core: it must come from the main frame of our own
 * window (the wiring compares the frame object as well) and both that frame and the window's main frame
 * must currently show our app origin. A subframe, a page navigated elsewhere, or a window that lost the
 * app cannot speak to core. (`URL.origin` is "null" for custom schemes, so the origin test is
 * `isAppUrl` on both sides rather than an origin string comparison.)
 */
export function isTrustedSender(frameUrl: unknown, mainFrameUrl: unknown): boolean {
  return isAppUrl(frameUrl) && isAppUrl(mainFrameUrl);
}
