import { previewPhotoImport, putPhotoByReference } from '../../photos/imports';
import type { RpcHandlers } from '../types';

/** Bulk photo import (protocol/src/photo-imports.ts; electron/core/photos/imports.ts). */
export const photoImportHandlers: RpcHandlers<'photoImports.preview' | 'photoImports.put'> = {
  'photoImports.preview': ({ account }, { eventId, references }) => previewPhotoImport(account(), eventId, references),
  'photoImports.put': ({ account }, input) => putPhotoByReference(account(), input),
};
