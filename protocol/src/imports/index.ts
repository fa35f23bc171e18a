/**
 * CSV import of attendees into an event (issue #20, part 1): the presets of the tools organizers
 * export from, the column mapping, the limits, and the shapes of the answer. Pure: the server
 * (sync-server/src/imports/) and the device's preview (electron/core/imports/) both use it, so a
 * file previews as it imports.
 */
export * from './limits';
export * from './presets';
export * from './mapping';
export * from './rows';
export * from './decoding';
export * from './requests';
export * from './preview';
