import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startTestServer } from '../../tests/support/server';

/** What an operator sees when the embedded store cannot be used: start-up stops, naming the file. */
describe('start-up on the embedded SQLite store', () => {
  it('a corrupt or foreign database file stops the server with a message that names the file', async () => {
    for (const content of [
      Buffer.from('this is not a database at all, just text '.repeat(200)),
      Buffer.alloc(8192, 7),
    ]) {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-corrupt-'));
      const file = path.join(dataDir, 'gatehouse.db');
      writeFileSync(file, content);
      await expect(startTestServer({ dataDir })).rejects.toThrow(file);
    }
  });

  it('with nothing configured the store is one SQLite file in the data folder', async () => {
    const server = await startTestServer();
    try {
      expect(server.ctx.store.kind).toBe('sqlite');
      expect(server.ctx.store.location).toBe(path.join(server.config.dataDir, 'gatehouse.db'));
    } finally {
      await server.close();
    }
  });
});
