import { saveExport } from '../../exports/save';
import type { RpcHandlers } from '../types';

/** CSV exports, saved into the data folder's `exports` folder (Core.exportsDir). */
export const exportHandlers: RpcHandlers<'exports.save'> = {
  'exports.save': ({ session, account }, { eventId, kind }) =>
    saveExport(account().withRole('organizer'), session.exportsDir(), eventId, kind),
};
