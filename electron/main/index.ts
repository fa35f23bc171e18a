import path from 'node:path';
import type { BrowserWindow } from 'electron';
import {
  app,
  dialog,
  ipcMain,
  Menu,
  protocol,
  safeStorage,
  session,
  shell,
  type IpcMainEvent,
  type IpcMainInvokeEvent,
} from 'electron';
import { HOST_SERVER_URL_META_NAME } from '@gatehouse/protocol';
import { RPC_FROM_MAIN_CHANNEL, RPC_TO_MAIN_CHANNEL, SAVE_FILE_CHANNEL } from '../preload/bridge';
import { CoreSupervisor } from './core-supervisor';
import { spawnCoreProcess } from './core-process';
import { hardenAllWebContents, hardenSession } from './harden';
import { buildMenuTemplate } from './menu-template';
import { shellPaths } from './paths';
import { chooseSaveFile } from './save-dialog';
import { serveAppRequest } from './security/app-protocol';
import { isTrustedSender } from './security/ipc-sender';
import { allowedExternalUrl } from './security/navigation';
import { APP_SCHEME } from './security/origin';
import { decideTokenStorage } from './security/token-storage';
import { TokenVault } from './token-vault';
import { createMainWindow } from './window';

/**
 * Electron main: lifecycle wiring only. Policy lives in ./security (pure, unit-tested), the core relay
 * in ./core-supervisor, the window in ./window.
 *
 * Environment: GATEHOUSE_SERVER_URL pre-fills the sign-in screen's server; GATEHOUSE_USER_DATA_DIR
 * moves userData (tests, several profiles side by side); GATEHOUSE_DEV=1 adds reload/devtools menus.
 */
const paths = shellPaths(__dirname);
const isDevelopment = process.env.GATEHOUSE_DEV === '1' || !app.isPackaged;

if (process.env.GATEHOUSE_USER_DATA_DIR) app.setPath('userData', path.resolve(process.env.GATEHOUSE_USER_DATA_DIR));

// Before `ready`: our scheme behaves like https (standard URL parsing, secure context for the camera).
protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } },
]);
app.enableSandbox();
hardenAllWebContents();

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  let mainWindow: BrowserWindow | null = null;
  let supervisor: CoreSupervisor | null = null;

  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });

  const isFromMainWindow = (event: IpcMainEvent | IpcMainInvokeEvent): boolean => {
    const contents = mainWindow?.webContents;
    if (!contents || event.sender !== contents) return false;
    const frame = event.senderFrame;
    return frame !== null && frame === contents.mainFrame && isTrustedSender(frame.url, contents.mainFrame.url);
  };

  app.whenReady().then(() => {
    const userData = app.getPath('userData');
    const policy = decideTokenStorage({
      platform: process.platform,
      encryptionAvailable: safeStorage.isEncryptionAvailable(),
      linuxBackend: process.platform === 'linux' ? safeStorage.getSelectedStorageBackend() : undefined,
    });
    if (!policy.persist) console.warn(`gatehouse: refresh tokens kept in memory only — ${policy.reason}`);
    const vault = new TokenVault(userData, policy, safeStorage);

    const pageMeta: Record<string, string> = {};
    if (process.env.GATEHOUSE_SERVER_URL) pageMeta[HOST_SERVER_URL_META_NAME] = process.env.GATEHOUSE_SERVER_URL;
    protocol.handle(APP_SCHEME, (request) => serveAppRequest(request, paths.rendererRoot, { pageMeta }));
    hardenSession(session.defaultSession);

    Menu.setApplicationMenu(
      Menu.buildFromTemplate(
        buildMenuTemplate({
          platform: process.platform,
          appName: app.name,
          isDevelopment,
          openHelp: () => {
            const url = allowedExternalUrl('https://github.com/');
            if (url) void shell.openExternal(url);
          },
        }),
      ),
    );

    const coreSupervisor = new CoreSupervisor({
      spawn: () => spawnCoreProcess(paths.core, path.join(userData, 'data')),
      vault,
      toRenderer: (frame) => {
        if (mainWindow && !mainWindow.isDestroyed()) mainWindow.webContents.send(RPC_FROM_MAIN_CHANNEL, frame);
      },
    });
    supervisor = coreSupervisor;
    coreSupervisor.start();

    ipcMain.on(RPC_TO_MAIN_CHANNEL, (event, frame: unknown) => {
      if (!isFromMainWindow(event)) {
        console.warn('gatehouse: dropped an IPC message from an untrusted sender');
        return;
      }
      coreSupervisor.fromRenderer(frame);
    });

    // The save dialog of an export: the same sender check as RPC; the answer is a token, not a path.
    ipcMain.handle(SAVE_FILE_CHANNEL, (event, request: unknown) => {
      const window = mainWindow;
      if (!window || !isFromMainWindow(event)) {
        console.warn('gatehouse: refused a save dialog asked by an untrusted sender');
        return { ok: false, error: { code: 'VALIDATION_FAILED', message: 'Not from the app window' } };
      }
      return chooseSaveFile(request, {
        show: (options) => dialog.showSaveDialog(window, options),
        grant: (token, file) => coreSupervisor.grantSaveTarget(token, file),
        downloadsDir: app.getPath('downloads'),
      });
    });

    mainWindow = createMainWindow({ preloadPath: paths.preload, userDataDir: userData });
    mainWindow.webContents.on('did-finish-load', () => coreSupervisor.publishStatus());
    mainWindow.on('closed', () => {
      mainWindow = null;
    });
  });

  app.on('window-all-closed', () => app.quit());
  app.on('before-quit', () => supervisor?.stop());
}
