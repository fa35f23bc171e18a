import { app, shell, type Session, type WebContents } from 'electron';
import { decideDevicePermission, decidePermission, decidePermissionCheck } from './security/permissions';
import { isAllowedNavigation, decideWindowOpen } from './security/navigation';
import { isAllowedRendererRequest } from './security/requests';

/**
 * Applies the security policy (electron/main/security/*, unit-tested without Electron) to Electron's
 * hooks. Kept thin on purpose: every decision is a call into a pure function.
 */
export function hardenSession(session: Session): void {
  session.setPermissionRequestHandler((_contents, permission, callback, details) => {
    callback(
      decidePermission({
        permission,
        requestingUrl: details.requestingUrl,
        isMainFrame: details.isMainFrame,
        mediaTypes: 'mediaTypes' in details ? details.mediaTypes : undefined,
      }),
    );
  });
  session.setPermissionCheckHandler((_contents, permission, requestingOrigin, details) =>
    decidePermissionCheck({ permission, requestingOrigin, mediaType: details.mediaType }),
  );
  session.setDevicePermissionHandler(() => decideDevicePermission());
  session.webRequest.onBeforeRequest((details, callback) => {
    callback({ cancel: !isAllowedRendererRequest(details.url) });
  });
}

/** Every webContents the app ever creates gets the navigation, window-open and webview denials. */
export function hardenAllWebContents(): void {
  app.on('web-contents-created', (_event, contents: WebContents) => {
    const denyNavigation = (event: { preventDefault: () => void }, url: string) => {
      if (!isAllowedNavigation(url)) {
        event.preventDefault();
        console.warn(`gatehouse: blocked navigation to ${url}`);
      }
    };
    contents.on('will-navigate', denyNavigation);
    contents.on('will-redirect', denyNavigation);
    contents.on('will-frame-navigate', (event) => denyNavigation(event, event.url));
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      const decision = decideWindowOpen(url);
      if (decision.openExternally) void shell.openExternal(decision.openExternally);
      return { action: decision.action };
    });
  });
}
