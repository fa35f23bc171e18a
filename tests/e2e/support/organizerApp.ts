import type { TestServer } from '../../support/server';
import type { SignedIn } from '../../support/users';
import { signIn } from './app';
import { type AppInChromium, openAppInChromium } from './appInChromium';

/**
 * The app in Chromium on an organizer's laptop (`organizer-laptop`, polling each second, a cheap
 * offline-unlock verifier), at 1366×`height`, signed in as `user`. `name` names its folder and
 * failure screenshots (openAppInChromium).
 */
export async function openSignedInApp(
  name: string,
  server: TestServer,
  user: SignedIn,
  height = 800,
): Promise<AppInChromium> {
  const app = await openAppInChromium({
    name,
    serverUrl: server.baseUrl,
    deviceName: 'organizer-laptop',
    core: { pollMs: 1000, verifierCost: 2 ** 10 },
    context: { viewport: { width: 1366, height } },
  });
  try {
    await signIn(app.page, { serverUrl: server.baseUrl, email: user.user.email, password: user.password });
  } catch (error) {
    await app.close();
    throw error;
  }
  return app;
}
