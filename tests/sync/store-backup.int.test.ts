import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventBucket } from '@gatehouse/protocol';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { migration001 } from '../../sync-server/src/store/sqlite/migrations/001-initial';
import { LATEST_SCHEMA_VERSION } from '../../sync-server/src/store/sqlite/migrations/index';
import { SimDevice } from '../../sync-server/test/sync-fixtures';
import { ApiClient } from '../support/http';
import type { TestServer } from '../support/server';
import { signInAs } from '../support/users';
import { addBookings, createEvent, eventually, startSyncTestServer, tempDataDir } from './support';

/**
 * Backup and restore of the embedded store: `npm run store:backup` copies the store of a server
 * that keeps accepting pushes meanwhile; `npm run store:restore` puts the copy in a fresh data
 * folder, and a device syncs from a server started there, holding exactly what the backup holds.
 * Restore refuses a store in use, a file from a newer version, and a file that is not a store.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** No JWT_SECRET: the signing secret lives in the store, so the backup carries it. */
const SECRET_IN_STORE = {
  secret: undefined,
  issuer: 'gatehouse',
  audience: 'gatehouse-api',
  accessTtlSeconds: 900,
  refreshTtlDays: 30,
};

type Run = { code: number | null; stdout: string; stderr: string };

function runScript(script: string, args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', script), ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Ids of a table's rows, read from a store file itself. */
function idsIn(file: string, table: 'checkins' | 'bookings'): Set<string> {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return new Set(db.prepare(`SELECT id FROM ${table}`).pluck().all() as string[]);
  } finally {
    db.close();
  }
}

const servers: TestServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close().catch(() => undefined);
});

describe('store:backup and store:restore', () => {
  it('backs up a server that keeps taking pushes, and a restored copy serves exactly what was backed up', async () => {
    const dataDir = tempDataDir('gatehouse-backup-');
    const server = await startSyncTestServer({ dataDir, jwt: SECRET_IN_STORE });
    servers.push(server);
    const organizer = await signInAs(server, 'organizer');
    const staff = await signInAs(server, 'staff');
    const event = await createEvent(organizer.api, [staff.user.id]);
    const bookingIds = await addBookings(server, event, 3_000);
    // An attendee's photo: a blob in the store, which the backup must carry with the rows.
    const photo = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#a52' } })
      .png()
      .toBuffer();
    const photoUrl = `/bookings/${bookingIds[0]!}/photo`;
    const uploaded = await fetch(server.baseUrl + photoUrl, {
      method: 'PUT',
      headers: { authorization: `Bearer ${organizer.accessToken}`, 'content-type': 'image/png' },
      body: new Uint8Array(photo),
    });
    expect(uploaded.status).toBe(200);
    const stored = Buffer.from(
      await (
        await fetch(server.baseUrl + photoUrl, { headers: { authorization: `Bearer ${staff.accessToken}` } })
      ).arrayBuffer(),
    );

    // A door device pushing one scan after another, each recorded when sent and when acknowledged.
    const door = new SimDevice(staff.api);
    const pushes: Array<{ id: string; sentAt: number; ackedAt: number }> = [];
    let stop = false;
    let refused = 0;
    const pushing = (async () => {
      for (let index = 0; !stop; index++) {
        const scan = door.checkin(event.id, bookingIds[index % bookingIds.length]!);
        const sentAt = Date.now();
        const response = await door.push([scan]);
        if (response.results[0]?.status === 'applied') {
          pushes.push({ id: (scan.args as { id: string }).id, sentAt, ackedAt: Date.now() });
        } else refused += 1;
      }
    })();
    await eventually(() => pushes.length >= 20, 'the first pushes');

    const backupFile = path.join(tempDataDir('gatehouse-backups-'), 'gatehouse-backup.db');
    const backupStarted = Date.now();
    const ackedBeforeBackup = pushes.map((push) => push.id);
    const backup = await runScript('store-backup.ts', ['--to', backupFile, '--data-dir', dataDir]);
    const backupEnded = Date.now();
    const pushesAtEnd = pushes.length;
    await eventually(() => pushes.length >= pushesAtEnd + 10, 'pushes after the backup');
    stop = true;
    await pushing;
    await server.close();

    expect(backup.code, backup.stderr).toBe(0);
    expect(backup.stdout).toMatch(/Backed up .*gatehouse\.db/);
    expect(backup.stdout).toMatch(/integrity check ok/);
    expect(refused).toBe(0);
    // The server took pushes while the backup ran: it was never stopped nor blocked.
    expect(pushes.filter((push) => push.sentAt > backupStarted && push.ackedAt < backupEnded).length).toBeGreaterThan(
      0,
    );
    // The backup is one file (no -wal to carry) and a Gatehouse store.
    expect(existsSync(`${backupFile}-wal`)).toBe(false);
    expect(statSync(backupFile).size).toBeGreaterThan(0);

    const inBackup = idsIn(backupFile, 'checkins');
    // Every push acknowledged before the backup started is in it; none sent after it ended.
    for (const id of ackedBeforeBackup)
      expect(inBackup.has(id), `scan ${id} acknowledged before the backup`).toBe(true);
    const sentAfter = pushes.filter((push) => push.sentAt > backupEnded);
    expect(sentAfter.length).toBeGreaterThan(0);
    for (const push of sentAfter) expect(inBackup.has(push.id), `scan ${push.id} sent after the backup`).toBe(false);

    // Restore into a fresh data folder; a server there serves what the backup holds.
    const restoredDir = tempDataDir('gatehouse-restored-');
    const restore = await runScript('store-restore.ts', ['--from', backupFile, '--data-dir', restoredDir]);
    expect(restore.code, restore.stderr).toBe(0);
    expect(restore.stdout).toMatch(/Restored .*gatehouse-backup\.db/);
    expect(restore.stdout).toMatch(/There was no store there before/);
    expect(existsSync(`${path.join(restoredDir, 'gatehouse.db')}-wal`)).toBe(false);
    const restored = await startSyncTestServer({ dataDir: restoredDir, jwt: SECRET_IN_STORE });
    servers.push(restored);

    // The staff's access token from before still works: the signing secret came with the backup.
    const device = new SimDevice(new ApiClient(restored.baseUrl, staff.accessToken));
    await device.pullAll();
    const rows = [...(device.buckets.get(eventBucket(event.id))?.keys() ?? [])];
    const idsOf = (type: string) =>
      new Set(rows.filter((key) => key.startsWith(`${type}:`)).map((key) => key.slice(type.length + 1)));
    expect(idsOf('checkin')).toEqual(inBackup);
    expect(idsOf('booking')).toEqual(idsIn(backupFile, 'bookings'));
    expect(idsOf('booking').size).toBe(bookingIds.length);
    // The photo came back byte for byte.
    const restoredPhoto = await fetch(restored.baseUrl + photoUrl, {
      headers: { authorization: `Bearer ${staff.accessToken}` },
    });
    expect(restoredPhoto.status).toBe(200);
    expect(Buffer.compare(Buffer.from(await restoredPhoto.arrayBuffer()), stored)).toBe(0);

    // Refused while a server holds the store: nothing is replaced (the same file, nothing set aside).
    const storeFile = path.join(restoredDir, 'gatehouse.db');
    const inode = statSync(storeFile).ino;
    const busy = await runScript('store-restore.ts', ['--from', backupFile, '--data-dir', restoredDir]);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toMatch(/in use by a running Gatehouse server/);
    expect(busy.stderr).toMatch(/Stop the server first/);
    expect(statSync(storeFile).ino).toBe(inode);
    expect(existsSync(`${storeFile}.pre-restore`)).toBe(false);
    await restored.close();

    // Restoring over an existing store keeps the replaced one aside.
    const over = await runScript('store-restore.ts', ['--from', backupFile, '--data-dir', restoredDir]);
    expect(over.code, over.stderr).toBe(0);
    expect(existsSync(path.join(restoredDir, 'gatehouse.db.pre-restore'))).toBe(true);

    // Refused: a file written by a newer version (same guard as start-up).
    const scratch = tempDataDir('gatehouse-refused-');
    const newer = path.join(scratch, 'newer.db');
    copyFileSync(backupFile, newer);
    const db = new Database(newer);
    db.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 1}`);
    db.close();
    const target = tempDataDir('gatehouse-untouched-');
    const refusedNewer = await runScript('store-restore.ts', ['--from', newer, '--data-dir', target]);
    expect(refusedNewer.code).toBe(1);
    expect(refusedNewer.stderr).toMatch(/written by a newer Gatehouse server/);

    // Accepted and migrated: a backup from an older version (schema 1), as a server would open it.
    const older = path.join(scratch, 'older.db');
    const first = new Database(older);
    first.exec(migration001.sql);
    first.pragma('user_version = 1');
    first.close();
    const olderTarget = tempDataDir('gatehouse-older-');
    const migrated = await runScript('store-restore.ts', ['--from', older, '--data-dir', olderTarget]);
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(migrated.stdout).toMatch(new RegExp(`schema version ${LATEST_SCHEMA_VERSION}`));
    if (LATEST_SCHEMA_VERSION > 1) expect(migrated.stdout).toMatch(/migrated from an older version/);

    // Refused: files that are not Gatehouse stores.
    const text = path.join(scratch, 'notes.db');
    writeFileSync(text, 'these are not the bytes you are looking for\n'.repeat(100));
    const foreign = path.join(scratch, 'foreign.db');
    const other = new Database(foreign);
    other.exec('CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO photos (name) VALUES (1);');
    other.close();
    for (const file of [text, foreign]) {
      const refusedForeign = await runScript('store-restore.ts', ['--from', file, '--data-dir', target]);
      expect(refusedForeign.code, file).toBe(1);
      expect(refusedForeign.stderr).toMatch(/is not a Gatehouse store/);
    }
    expect(existsSync(path.join(target, 'gatehouse.db'))).toBe(false);
  }, 180_000);
});
