import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { type ChosenSaveFile, saveFileRequestSchema } from '@gatehouse/protocol';

/**
 * Where to save an export, asked in main with the OS save dialog (preload's `chooseSaveFile`).
 * Electron-free: the wiring (index.ts) passes `dialog.showSaveDialog` and the supervisor's grant;
 * tests pass fakes. The renderer gets a one-use token for the chosen file, which core alone turns
 * back into the path main granted it (electron/core/exports/save-targets.ts): a page can ask for
 * the dialog, never name a path core would write to.
 */

/** The subset of Electron's SaveDialogOptions used here. */
export type SaveDialogOptions = {
  title: string;
  defaultPath: string;
  buttonLabel: string;
  filters: { name: string; extensions: string[] }[];
  properties: ('createDirectory' | 'showOverwriteConfirmation')[];
};

export type SaveDialogDeps = {
  /** Shows the dialog (Electron's `dialog.showSaveDialog(window, options)`). */
  show: (options: SaveDialogOptions) => Promise<{ canceled: boolean; filePath?: string }>;
  /** Grants core the path for the token (CoreSupervisor.grantSaveTarget); false when core is not running. */
  grant: (token: string, file: string) => boolean;
  /** The folder the dialog opens in (Electron's `app.getPath('downloads')`). */
  downloadsDir: string;
  newToken?: () => string;
};

/** What main answers over the channel: never a thrown error, which Electron would flatten into text. */
export type SaveDialogAnswer =
  | { ok: true; chosen: ChosenSaveFile | null }
  | { ok: false; error: { code: 'VALIDATION_FAILED' | 'SERVICE_UNAVAILABLE'; message: string } };

/**
 * A suggested name reduced to a plain file name ending in `.csv`: no folder (the last path part
 * only), none of the characters Windows, macOS or Linux refuse, no leading dots or spaces; the
 * dialog still lets the user type any name.
 */
export function safeCsvName(suggested: string): string {
  const base = suggested.split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
  const cleaned = base.replace(/[<>:"|?*\u0000-\u001f\u007f]/g, '-').replace(/^[\s.]+|[\s.]+$/g, '');
  const stem = cleaned.replace(/\.csv$/i, '').slice(0, 150);
  return `${stem || 'export'}.csv`;
}

/**
 * Asks where to save: the dialog opens in Downloads with the suggested name and a CSV filter. A
 * cancelled dialog answers `chosen: null` (nothing granted). A chosen file without the `.csv`
 * extension gets it (Linux dialogs do not add it). VALIDATION_FAILED for a malformed request,
 * SERVICE_UNAVAILABLE when core is not running to take the grant.
 */
export async function chooseSaveFile(request: unknown, deps: SaveDialogDeps): Promise<SaveDialogAnswer> {
  const parsed = saveFileRequestSchema.safeParse(request);
  if (!parsed.success) return { ok: false, error: { code: 'VALIDATION_FAILED', message: 'Bad save dialog request' } };
  const result = await deps.show({
    title: 'Save export',
    defaultPath: path.join(deps.downloadsDir, safeCsvName(parsed.data.suggestedName)),
    buttonLabel: 'Save',
    filters: [{ name: 'CSV (comma-separated values)', extensions: ['csv'] }],
    properties: ['createDirectory', 'showOverwriteConfirmation'],
  });
  if (result.canceled || !result.filePath) return { ok: true, chosen: null };
  const file = /\.csv$/i.test(result.filePath) ? result.filePath : `${result.filePath}.csv`;
  const token = (deps.newToken ?? randomUUID)();
  if (!deps.grant(token, file)) {
    return {
      ok: false,
      error: { code: 'SERVICE_UNAVAILABLE', message: 'The local core is restarting; try the export again' },
    };
  }
  return { ok: true, chosen: { token, fileName: path.basename(file) } };
}
