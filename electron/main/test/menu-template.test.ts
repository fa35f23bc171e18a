import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it } from 'vitest';
import { buildMenuTemplate } from '../menu-template';

function roles(items: MenuItemConstructorOptions[]): string[] {
  return items.flatMap((item) => [
    ...(item.role ? [item.role] : []),
    ...(Array.isArray(item.submenu) ? roles(item.submenu) : []),
  ]);
}

describe('native menu', () => {
  const build = (platform: NodeJS.Platform, isDevelopment: boolean) =>
    buildMenuTemplate({ platform, appName: 'Gatehouse', isDevelopment, openHelp: () => {} });

  it('has the usual edit, view and window shortcuts on every platform', () => {
    for (const platform of ['linux', 'win32', 'darwin'] as const) {
      expect(roles(build(platform, false))).toEqual(
        expect.arrayContaining([
          'undo',
          'redo',
          'cut',
          'copy',
          'paste',
          'selectAll',
          'zoomIn',
          'zoomOut',
          'resetZoom',
          'togglefullscreen',
          'minimize',
        ]),
      );
    }
    expect(roles(build('darwin', false))).toEqual(expect.arrayContaining(['about', 'hide', 'quit', 'front']));
    expect(roles(build('linux', false))).toContain('quit');
  });

  it('offers reload and developer tools only in development', () => {
    expect(roles(build('linux', false))).not.toEqual(expect.arrayContaining(['reload']));
    expect(roles(build('linux', false))).not.toContain('toggleDevTools');
    expect(roles(build('linux', true))).toEqual(expect.arrayContaining(['reload', 'forceReload', 'toggleDevTools']));
  });
});
