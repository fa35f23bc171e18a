import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueEmail } from '../../../tests/support/http';
import type { TestServer } from '../../../tests/support/server';
import { signInAs, type SignedIn } from '../../../tests/support/users';
import { type Device, restartDevice, signedInDevice, startSyncTestServer } from '../../../tests/sync/support';

/**
 * #20 part 3 on the device: a rename or an email change made elsewhere (another device, the API)
 * reaches this device through the user's bucket; the session shows it, and offline unlock then
 * takes the email the account signs in with.
 */
let server: TestServer;
let staff: SignedIn;
const devices: Device[] = [];

beforeAll(async () => {
  server = await startSyncTestServer();
  staff = await signInAs(server, 'staff', 'Rae Renamed');
}, 120_000);
afterAll(async () => {
  for (const device of devices) await device.core.close();
  await server.close();
});

describe('the profile on the device', { timeout: 60_000 }, () => {
  it('follows a rename and a confirmed email change pulled from the user bucket; offline unlock takes the new email', async () => {
    let device = await signedInDevice(server, staff);
    devices.push(device);
    await device.core.syncNow();
    expect(device.core.sessionState().user).toMatchObject({ name: 'Rae Renamed', email: staff.user.email });

    expect((await staff.api.patch('/users/me', { name: 'Rae Elsewhere' })).status).toBe(200);
    const newEmail = uniqueEmail('rae-moved');
    const asked = await staff.api.post('/users/me/email-change', { newEmail, currentPassword: staff.password });
    expect(asked.status).toBe(200);
    // The code, as the outbox queued it for the new address.
    const queued = (await server.ctx.store.mail.list({}, undefined, 100)).find((row) => row.to === newEmail);
    const code = /[0-9A-Z]{4}(?:-[0-9A-Z]{4}){4}/.exec(queued?.text ?? '')?.[0] ?? 'no code mailed';
    expect((await staff.api.post('/auth/email-change/confirm', { token: code })).status).toBe(200);

    await device.core.syncNow();
    expect(device.core.sessionState().user).toMatchObject({ name: 'Rae Elsewhere', email: newEmail });
    expect(device.core.sessionState().knownUsers).toContainEqual({ email: newEmail, name: 'Rae Elsewhere' });

    // Offline, after a restart: the new email unlocks, the old one no longer does.
    await device.core.signOut({ wipeLocalData: false });
    device = await restartDevice(device);
    devices.push(device);
    await expect(device.core.unlock({ email: staff.user.email, password: staff.password })).rejects.toMatchObject({
      code: 'INVALID_CREDENTIALS',
    });
    await device.core.unlock({ email: newEmail, password: staff.password });
    expect(device.core.sessionState().user).toMatchObject({ email: newEmail, name: 'Rae Elsewhere' });
  });
});
