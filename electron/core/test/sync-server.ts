import { afterAll, beforeAll } from 'vitest';
import type { TestServer } from '../../../tests/support/server';
import type { SignedIn } from '../../../tests/support/users';
import { type Device, signedInDevice, startSyncTestServer } from '../../../tests/sync/support';

/** A test file's one sync server, and the devices its tests open on it. */
export type FileSyncServer = {
  /** The server; there once `beforeAll` has run. */
  readonly server: TestServer;
  /** A device signed in as `user` on the server (signedInDevice, not yet synced), closed after all. */
  device: (user: SignedIn) => Promise<Device>;
};

/**
 * Starts a sync test server before the file's tests (then `setUp` with it: users, events,
 * bookings) and, after them, closes every device opened through `device` and then the server.
 */
export function syncServerForFile(setUp: (server: TestServer) => Promise<void>): FileSyncServer {
  let server: TestServer | undefined;
  const devices: Device[] = [];
  beforeAll(async () => {
    server = await startSyncTestServer();
    await setUp(server);
  }, 120_000);
  afterAll(async () => {
    for (const device of devices) await device.core.close();
    await server?.close();
  });
  return {
    get server() {
      if (!server) throw new Error('The sync server is not started yet (it starts in beforeAll)');
      return server;
    },
    async device(user) {
      const device = await signedInDevice(this.server, user);
      devices.push(device);
      return device;
    },
  };
}
