import type { MenuItemConstructorOptions } from 'electron';

/**
 * The native menu with the usual shortcuts, built from Electron roles so each platform gets its own
 * accelerators (Cmd on macOS, Ctrl elsewhere). Reload and developer tools only in development: a
 * steward pressing Ctrl+R at the gate must not lose the check-in screen.
 */
export function buildMenuTemplate(options: {
  platform: NodeJS.Platform;
  appName: string;
  isDevelopment: boolean;
  openHelp: () => void;
}): MenuItemConstructorOptions[] {
  const isMac = options.platform === 'darwin';
  const appMenu: MenuItemConstructorOptions[] = isMac
    ? [
        {
          label: options.appName,
          submenu: [
            { role: 'about' },
            { type: 'separator' },
            { role: 'hide' },
            { role: 'hideOthers' },
            { role: 'unhide' },
            { type: 'separator' },
            { role: 'quit' },
          ],
        },
      ]
    : [];
  const developer: MenuItemConstructorOptions[] = options.isDevelopment
    ? [{ type: 'separator' }, { role: 'reload' }, { role: 'forceReload' }, { role: 'toggleDevTools' }]
    : [];
  return [
    ...appMenu,
    { label: '&File', submenu: [isMac ? { role: 'close' } : { role: 'quit' }] },
    {
      label: '&Edit',
      submenu: [
        { role: 'undo' },
        { role: 'redo' },
        { type: 'separator' },
        { role: 'cut' },
        { role: 'copy' },
        { role: 'paste' },
        { role: 'selectAll' },
      ],
    },
    {
      label: '&View',
      submenu: [
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
        ...developer,
      ],
    },
    {
      label: '&Window',
      submenu: isMac
        ? [{ role: 'minimize' }, { role: 'zoom' }, { role: 'front' }]
        : [{ role: 'minimize' }, { role: 'close' }],
    },
    { role: 'help', submenu: [{ label: 'Gatehouse on GitHub', click: () => options.openHelp() }] },
  ];
}
