import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CoreChild, CoreSupervisor } from '../core-supervisor';
import { chooseSaveFile, safeCsvName, type SaveDialogOptions } from '../save-dialog';
import { decideTokenStorage } from '../security/token-storage';
import { TokenVault } from '../token-vault';

/** The export's save dialog in main (save-dialog.ts) with the dialog and core's grant as fakes. */
function deps(answer: { canceled: boolean; filePath?: string }, coreRunning = true) {
  const shown: SaveDialogOptions[] = [];
  const granted: { token: string; file: string }[] = [];
  return {
    shown,
    granted,
    deps: {
      show: async (options: SaveDialogOptions) => {
        shown.push(options);
        return answer;
      },
      grant: (token: string, file: string) => {
        if (coreRunning) granted.push({ token, file });
        return coreRunning;
      },
      downloadsDir: path.join(path.sep, 'home', 'ada', 'Downloads'),
      newToken: () => '6f1c2c1e-9d7e-4a53-9a2b-1f6d2b9a7c11',
    },
  };
}

describe('the export save dialog (main)', () => {
  it('opens in Downloads with the suggested name and a CSV filter, and grants core the chosen file', async () => {
    const chosen = path.join(path.sep, 'media', 'usb', 'gala.csv');
    const { deps: fake, shown, granted } = deps({ canceled: false, filePath: chosen });
    const answer = await chooseSaveFile({ suggestedName: 'summer-gala-attendees-2026-12-01.csv' }, fake);
    expect(shown).toEqual([
      expect.objectContaining({
        defaultPath: path.join(fake.downloadsDir, 'summer-gala-attendees-2026-12-01.csv'),
        filters: [{ name: 'CSV (comma-separated values)', extensions: ['csv'] }],
        properties: ['createDirectory', 'showOverwriteConfirmation'],
      }),
    ]);
    expect(granted).toEqual([{ token: fake.newToken(), file: chosen }]);
    // The renderer gets the token and the name to show, never a path it could hand to core.
    expect(answer).toEqual({ ok: true, chosen: { token: fake.newToken(), fileName: 'gala.csv' } });
  });

  it('a cancelled dialog grants nothing and answers null', async () => {
    const { deps: fake, granted } = deps({ canceled: true });
    expect(await chooseSaveFile({ suggestedName: 'x.csv' }, fake)).toEqual({ ok: true, chosen: null });
    expect(granted).toEqual([]);
  });

  it('adds .csv to a name typed without it', async () => {
    const typed = path.join(path.sep, 'tmp', 'guests');
    const { deps: fake, granted } = deps({ canceled: false, filePath: typed });
    expect(await chooseSaveFile({ suggestedName: 'x.csv' }, fake)).toMatchObject({
      chosen: { fileName: 'guests.csv' },
    });
    expect(granted[0]!.file).toBe(`${typed}.csv`);
  });

  it('refuses a malformed request without showing a dialog, and says when core cannot take the grant', async () => {
    const { deps: fake, shown } = deps({ canceled: false, filePath: '/tmp/a.csv' });
    for (const bad of [null, {}, { suggestedName: '' }, { suggestedName: 'a.csv', path: '/etc' }]) {
      expect(await chooseSaveFile(bad, fake)).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    }
    expect(shown).toEqual([]);
    const down = deps({ canceled: false, filePath: '/tmp/a.csv' }, false);
    expect(await chooseSaveFile({ suggestedName: 'a.csv' }, down.deps)).toMatchObject({
      ok: false,
      error: { code: 'SERVICE_UNAVAILABLE' },
    });
  });

  it('keeps only a plain file name of a suggestion', () => {
    expect(safeCsvName('../../etc/passwd')).toBe('passwd.csv');
    expect(safeCsvName('C:\\Users\\x\\evil.csv')).toBe('evil.csv');
    expect(safeCsvName('a<b>:c|d?.CSV')).toBe('a-b--c-d-.csv');
    expect(safeCsvName('...')).toBe('export.csv');
    expect(safeCsvName(' gala-attendees-2026-12-01.csv ')).toBe('gala-attendees-2026-12-01.csv');
  });

  it("the supervisor passes a grant to the running core over core's own channel, and refuses while core is down", () => {
    const posted: unknown[] = [];
    const child: CoreChild = {
      postMessage: (message) => posted.push(message),
      onMessage: () => {},
      onExit: () => {},
      kill: () => {},
    };
    const vault = new TokenVault(
      path.join(path.sep, 'nonexistent'),
      decideTokenStorage({ platform: 'linux', encryptionAvailable: false }),
      { encryptString: (plain) => Buffer.from(plain), decryptString: (data) => data.toString() },
    );
    const supervisor = new CoreSupervisor({ spawn: () => child, vault, toRenderer: () => {} });
    expect(supervisor.grantSaveTarget('t', '/tmp/a.csv')).toBe(false);
    supervisor.start();
    expect(supervisor.grantSaveTarget('t', '/tmp/a.csv')).toBe(true);
    expect(posted).toEqual([{ type: 'saveTarget.grant', token: 't', path: '/tmp/a.csv' }]);
    supervisor.stop();
  });
});
