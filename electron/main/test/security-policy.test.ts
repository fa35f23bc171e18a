import { describe, expect, it } from 'vitest';
import { buildContentSecurityPolicy, contentSecurityPolicyDirectives, securityHeaders } from '../security/csp';
import { isTrustedSender } from '../security/ipc-sender';
import { allowedExternalUrl, decideWindowOpen, isAllowedNavigation } from '../security/navigation';
import { APP_ENTRY_URL } from '../security/origin';
import {
  decideDevicePermission,
  decidePermission,
  decidePermissionCheck,
  isCheckinScreen,
} from '../security/permissions';
import { isAllowedRendererRequest } from '../security/requests';
import { decideTokenStorage } from '../security/token-storage';
import { secureWebPreferences } from '../security/web-preferences';

describe('webPreferences', () => {
  it('isolates and sandboxes the renderer with no Node access', () => {
    const preferences = secureWebPreferences('/app/dist/preload.cjs');
    expect(preferences).toMatchObject({
      preload: '/app/dist/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
    });
    expect(Object.keys(preferences)).not.toContain('enableRemoteModule');
  });
});

describe('Content-Security-Policy', () => {
  const csp = buildContentSecurityPolicy();
  const directive = (name: string) =>
    csp
      .split(';')
      .map((part) => part.trim())
      .find((part) => part.split(' ')[0] === name);

  it('denies by default and allows scripts only from the app itself', () => {
    expect(directive('default-src')).toBe("default-src 'none'");
    expect(directive('script-src')).toBe("script-src 'self'");
    expect(directive('object-src')).toBe("object-src 'none'");
    expect(directive('frame-src')).toBe("frame-src 'none'");
    expect(directive('frame-ancestors')).toBe("frame-ancestors 'none'");
    expect(directive('base-uri')).toBe("base-uri 'none'");
    expect(directive('form-action')).toBe("form-action 'none'");
  });

  it('contains no unsafe source, no wildcard and no remote origin anywhere', () => {
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|wasm-unsafe-eval|unsafe-hashes|\*|https?:|file:|ws:/);
    expect(directive('connect-src')).toBe("connect-src 'self'");
  });

  it('lets the camera preview and QR images work', () => {
    expect(directive('media-src')).toBe("media-src 'self' blob: mediastream:");
    expect(directive('img-src')).toBe("img-src 'self' data: blob:");
  });

  it('is one header value built from the directive table, sent with hardening headers', () => {
    expect(csp.split('; ')).toHaveLength(Object.keys(contentSecurityPolicyDirectives()).length);
    const headers = securityHeaders(csp);
    expect(headers['Content-Security-Policy']).toBe(csp);
    expect(headers['X-Content-Type-Options']).toBe('nosniff');
    expect(headers['Permissions-Policy']).toContain('microphone=()');
  });
});

describe('navigation', () => {
  it.each([
    APP_ENTRY_URL,
    'app://gatehouse/',
    'app://gatehouse/index.html#/checkin',
    'app://gatehouse/events/42?tab=staff',
  ])('allows the app itself: %s', (url) => {
    expect(isAllowedNavigation(url)).toBe(true);
  });

  it.each([
    'https://evil.example/',
    'http://127.0.0.1:4000/',
    'file:///etc/passwd',
    'app://evil/index.html',
    'app://gatehouse:8080/index.html',
    'app://user:pw@gatehouse/index.html',
    'APP://gatehousex/',
    'javascript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'chrome://settings',
    'devtools://devtools/bundled/inspector.html',
    '',
    'not a url',
    'x'.repeat(10_000),
    null,
    42,
  ])('denies everything else: %s', (url) => {
    expect(isAllowedNavigation(url)).toBe(false);
  });
});

describe('window.open and external links', () => {
  it('never opens an Electron window', () => {
    for (const url of [APP_ENTRY_URL, 'https://github.com/gatehouse', 'https://evil.example/']) {
      expect(decideWindowOpen(url).action).toBe('deny');
    }
  });

  it('sends allow-listed https links to the system browser', () => {
    expect(decideWindowOpen('https://github.com/gatehouse/issues').openExternally).toBe(
      'https://github.com/gatehouse/issues',
    );
    expect(allowedExternalUrl('https://docs.github.com/x')).toBe('https://docs.github.com/x');
    expect(allowedExternalUrl('mailto:guest@example.org')).toBe('mailto:guest@example.org');
  });

  it.each([
    'http://github.com/',
    'https://github.com.evil.example/',
    'https://evilgithub.com/',
    'https://user:pass@github.com/',
    'https://github.com:8443/',
    'file:///C:/Windows/System32/calc.exe',
    'smb://server/share',
    'ms-msdt:/id PCWDiagnostic',
    'javascript:alert(1)',
    'mailto:a@example.org?bcc=everyone@example.org&body=click',
    'mailto:a@example.org,b@example.org/x',
    'app://gatehouse/index.html',
    'https://evil.example/',
  ])('drops links that are not allow-listed: %s', (url) => {
    expect(decideWindowOpen(url)).toEqual({ action: 'deny', openExternally: null });
  });

  it('takes the allow-list as a parameter', () => {
    const policy = { hosts: ['tickets.example.org'], allowMailto: false };
    expect(allowedExternalUrl('https://tickets.example.org/a', policy)).toBe('https://tickets.example.org/a');
    expect(allowedExternalUrl('https://github.com/', policy)).toBeNull();
    expect(allowedExternalUrl('mailto:a@example.org', policy)).toBeNull();
  });
});

describe('permissions', () => {
  const camera = (requestingUrl: string, overrides: Partial<Parameters<typeof decidePermission>[0]> = {}) =>
    decidePermission({ permission: 'media', requestingUrl, isMainFrame: true, mediaTypes: ['video'], ...overrides });

  it('allows the camera on the check-in screen only', () => {
    expect(camera('app://gatehouse/index.html#/checkin')).toBe(true);
    expect(camera('app://gatehouse/checkin/ev-1')).toBe(true);
    expect(camera('app://gatehouse/#/check-in?event=1')).toBe(true);
    expect(camera('app://gatehouse/index.html#/events')).toBe(false);
    expect(camera('app://gatehouse/#/checkinx')).toBe(false);
    expect(camera('app://gatehouse/admin?next=/checkin')).toBe(false);
  });

  it('refuses the microphone, subframes and other origins even on the check-in route', () => {
    expect(camera('app://gatehouse/#/checkin', { mediaTypes: ['video', 'audio'] })).toBe(false);
    expect(camera('app://gatehouse/#/checkin', { mediaTypes: ['audio'] })).toBe(false);
    expect(camera('app://gatehouse/#/checkin', { mediaTypes: [] })).toBe(false);
    expect(camera('app://gatehouse/#/checkin', { mediaTypes: undefined })).toBe(false);
    expect(camera('app://gatehouse/#/checkin', { isMainFrame: false })).toBe(false);
    expect(camera('https://evil.example/#/checkin')).toBe(false);
    expect(camera('file:///checkin')).toBe(false);
    expect(isCheckinScreen(undefined)).toBe(false);
  });

  it.each([
    'notifications',
    'geolocation',
    'clipboard-read',
    'midiSysex',
    'openExternal',
    'hid',
    'serial',
    'usb',
    'fullscreen',
    'pointerLock',
    'unknown',
  ])('denies %s', (permission) => {
    expect(decidePermission({ permission, requestingUrl: 'app://gatehouse/#/checkin', isMainFrame: true })).toBe(false);
  });

  it('answers permission checks for video from the app origin only', () => {
    expect(
      decidePermissionCheck({ permission: 'media', requestingOrigin: 'app://gatehouse', mediaType: 'video' }),
    ).toBe(true);
    expect(
      decidePermissionCheck({ permission: 'media', requestingOrigin: 'app://gatehouse', mediaType: 'audio' }),
    ).toBe(false);
    expect(
      decidePermissionCheck({ permission: 'media', requestingOrigin: 'https://evil.example', mediaType: 'video' }),
    ).toBe(false);
    expect(decidePermissionCheck({ permission: 'notifications', requestingOrigin: 'app://gatehouse' })).toBe(false);
    expect(decideDevicePermission()).toBe(false);
  });
});

describe('IPC sender check', () => {
  it('trusts our app frame only', () => {
    expect(isTrustedSender('app://gatehouse/index.html#/checkin', 'app://gatehouse/index.html')).toBe(true);
  });

  it.each([
    ['https://evil.example/', 'app://gatehouse/index.html'],
    ['app://gatehouse/index.html', 'https://evil.example/'],
    ['app://other/index.html', 'app://gatehouse/index.html'],
    ['file:///work/main/renderer/dist/index.html', 'file:///work/main/renderer/dist/index.html'],
    ['about:blank', 'app://gatehouse/index.html'],
    ['', 'app://gatehouse/index.html'],
    [null, 'app://gatehouse/index.html'],
    [undefined, undefined],
  ])('rejects frame %s in main frame %s', (frameUrl, mainFrameUrl) => {
    expect(isTrustedSender(frameUrl, mainFrameUrl)).toBe(false);
  });
});

describe('renderer requests', () => {
  it('allows the app and in-memory schemes, nothing from the network', () => {
    expect(isAllowedRendererRequest('app://gatehouse/assets/index-abc.js')).toBe(true);
    expect(isAllowedRendererRequest('data:image/png;base64,AAAA')).toBe(true);
    expect(isAllowedRendererRequest('blob:app://gatehouse/123')).toBe(true);
    for (const url of [
      'https://evil.example/?t=secret',
      'http://127.0.0.1:4000/users',
      'ws://127.0.0.1:4000/sync/live',
      'file:///etc/passwd',
      'ftp://x/',
    ]) {
      expect(isAllowedRendererRequest(url)).toBe(false);
    }
  });
});

describe('token storage policy (safeStorage backend)', () => {
  it.each(['basic_text', 'unknown', undefined])('keeps refresh tokens in memory only on Linux with %s', (backend) => {
    const policy = decideTokenStorage({ platform: 'linux', encryptionAvailable: true, linuxBackend: backend });
    expect(policy.persist).toBe(false);
    expect(policy.reason).toMatch(/keyring/);
  });

  it.each(['gnome_libsecret', 'kwallet', 'kwallet5', 'kwallet6'])('persists with the %s keyring', (backend) => {
    expect(decideTokenStorage({ platform: 'linux', encryptionAvailable: true, linuxBackend: backend })).toEqual({
      persist: true,
      reason: null,
    });
  });

  it('refuses an unrecognised backend and any platform without encryption', () => {
    expect(
      decideTokenStorage({ platform: 'linux', encryptionAvailable: true, linuxBackend: 'plaintext_v2' }).persist,
    ).toBe(false);
    expect(decideTokenStorage({ platform: 'win32', encryptionAvailable: false }).persist).toBe(false);
    expect(decideTokenStorage({ platform: 'darwin', encryptionAvailable: false }).persist).toBe(false);
    expect(
      decideTokenStorage({ platform: 'linux', encryptionAvailable: false, linuxBackend: 'gnome_libsecret' }).persist,
    ).toBe(false);
  });

  it('persists on macOS and Windows when the OS encrypts', () => {
    expect(decideTokenStorage({ platform: 'darwin', encryptionAvailable: true }).persist).toBe(true);
    expect(decideTokenStorage({ platform: 'win32', encryptionAvailable: true }).persist).toBe(true);
  });
});
