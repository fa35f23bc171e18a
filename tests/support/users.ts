import type { Role, Session } from '@gatehouse/protocol';
import { ensureUser } from '../../sync-server/src/users/seed';
import { ApiClient, uniqueEmail } from './http';
import type { TestServer } from './server';

export const TEST_PASSWORD = 'correct horse battery';

export type SignedIn = Session & { api: ApiClient; password: string };

/** Creates a user with `role` straight in the store (as an admin would), then signs in over HTTP. */
export async function signInAs(server: TestServer, role: Role, name = `${role} user`): Promise<SignedIn> {
  const email = uniqueEmail(role);
  await ensureUser(
    server.ctx.store.users,
    { email, password: TEST_PASSWORD, name, role },
    { scryptCost: server.config.scryptCost },
  );
  const api = new ApiClient(server.baseUrl);
  const login = await api.post<Session>('/auth/login', { email, password: TEST_PASSWORD });
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${JSON.stringify(login.body)}`);
  return { ...login.body, password: TEST_PASSWORD, api: api.withToken(login.body.accessToken) };
}

/**
 * A second sign-in of the same user, naming `deviceId` (X-Device-Id) as the desktop app does: its
 * session may sync as that device only, and ends when that device is revoked.
 */
export async function signInOnDevice(server: TestServer, user: SignedIn, deviceId: string): Promise<SignedIn> {
  const api = new ApiClient(server.baseUrl);
  const login = await api.post<Session>(
    '/auth/login',
    { email: user.user.email, password: user.password },
    { headers: { 'x-device-id': deviceId } },
  );
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${JSON.stringify(login.body)}`);
  return { ...login.body, password: user.password, api: api.withToken(login.body.accessToken) };
}
