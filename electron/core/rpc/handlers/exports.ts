import { saveExport, saveExportAs } from '../../exports/save';
import type { RpcHandlers } from '../types';

/**
 * CSV exports: into the file chosen in Electron's save dialog (`saveTo`, a token main granted:
 * exports/save-targets.ts), else into the data folder's `exports` folder (Core.exportsDir) — the
 * browser host's way.
 */
export const exportHandlers: RpcHandlers<'exports.save'> = {
  'exports.save': ({ session, account }, { eventId, kind, saveTo }) => {
    const organizer = account().withRole('organizer');
    if (saveTo === undefined) return saveExport(organizer, session.exportsDir(), eventId, kind);
    return saveExportAs(organizer, session.saveTargets.take(saveTo), eventId, kind);
  },
};
