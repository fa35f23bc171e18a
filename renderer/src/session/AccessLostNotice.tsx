import type { AccessLost } from '@gatehouse/protocol';

const WHY: Record<string, string> = {
  DEVICE_REVOKED: 'This device was removed from Gatehouse by an administrator or its owner.',
  ACCOUNT_DISABLED: 'This account was disabled by an administrator.',
};

/**
 * What a steward sees after the server ended this device's access for good: why, whether the
 * local data was removed, and where the changes it had not sent yet were saved — the file an
 * admin imports under Admin › Devices, so no scan made at the door is lost.
 */
export function AccessLostNotice({ lost }: { lost: AccessLost }) {
  const why = WHY[lost.code] ?? 'The server ended this device’s access.';
  if (lost.unsentChanges < 0) {
    return (
      <div className="notice notice-error" role="alert">
        <strong>{why}</strong> Its unsent changes could not be saved to a file, so its data was kept on this device. Ask
        an administrator before signing in as someone else.
      </div>
    );
  }
  return (
    <div className="notice notice-warning" role="alert">
      <strong>{why}</strong> {lost.wiped ? 'Its data was removed from this device. ' : ''}
      {lost.unsentChanges === 0 ? (
        'Every change it made had reached the server.'
      ) : (
        <>
          {lost.unsentChanges === 1 ? 'One change' : `${lost.unsentChanges} changes`} it had not sent yet{' '}
          {lost.exportFiles.length > 1 ? 'were saved to these files' : 'were saved to this file'} — give{' '}
          {lost.exportFiles.length > 1 ? 'them' : 'it'} to an administrator to import:
          <ul className="file-list">
            {lost.exportFiles.map((file) => (
              <li key={file}>
                <code>{file}</code>
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
