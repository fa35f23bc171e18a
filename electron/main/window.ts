import { BrowserWindow, screen } from 'electron';
import { APP_ENTRY_URL } from './security/origin';
import { secureWebPreferences } from './security/web-preferences';
import { MIN_HEIGHT, MIN_WIDTH, readWindowState, restoreWindowState, writeWindowState } from './window-state';

/** The one window: hardened webPreferences, remembered bounds, shown once the first paint is ready. */
export function createMainWindow(options: { preloadPath: string; userDataDir: string }): BrowserWindow {
  const workAreas = screen.getAllDisplays().map((display) => display.workArea);
  const restored = restoreWindowState(readWindowState(options.userDataDir), workAreas);
  const window = new BrowserWindow({
    ...restored.bounds,
    minWidth: MIN_WIDTH,
    minHeight: MIN_HEIGHT,
    show: false,
    title: 'Gatehouse',
    backgroundColor: '#101418',
    webPreferences: secureWebPreferences(options.preloadPath),
  });
  window.once('ready-to-show', () => {
    if (restored.maximized) window.maximize();
    window.show();
  });
  window.on('close', () => {
    try {
      writeWindowState(options.userDataDir, { bounds: window.getNormalBounds(), maximized: window.isMaximized() });
    } catch (error) {
      console.warn('gatehouse: could not save the window state', error);
    }
  });
  void window.loadURL(APP_ENTRY_URL);
  return window;
}
