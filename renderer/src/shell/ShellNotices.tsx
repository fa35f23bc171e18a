import { shellNotices, useShellStatusStore } from './shellStatus';

/** The Electron shell's news about the app itself (core restarts, key storage), above every screen. */
export function ShellNotices() {
  const notices = shellNotices(useShellStatusStore((state) => state.status));
  if (notices.length === 0) return null;
  return (
    <div className="shell-notices">
      {notices.map((notice) => (
        <div
          key={notice.text}
          className={`notice notice-${notice.tone}`}
          role={notice.tone === 'error' ? 'alert' : 'status'}
        >
          <p>
            <strong>{notice.text}</strong>
          </p>
          {notice.detail ? <p className="notice-detail">{notice.detail}</p> : null}
        </div>
      ))}
    </div>
  );
}
