import { useEffect } from 'react';
import { EmptyState } from '../ui/EmptyState';
import { formatAgo } from '../ui/format';
import { useAdminStore } from './adminStore';

export function DevicesPanel() {
  const { devices, loadDevices, revokeDevice } = useAdminStore();
  useEffect(() => {
    void loadDevices();
  }, [loadDevices]);
  if (devices.length === 0) return <EmptyState title="No devices have synced yet." />;
  return (
    <table className="data-table">
      <thead>
        <tr>
          <th scope="col">Device</th>
          <th scope="col">User</th>
          <th scope="col">Last seen</th>
          <th scope="col">Clock</th>
          <th scope="col">Access</th>
        </tr>
      </thead>
      <tbody>
        {devices.map((device) => (
          <tr key={device.id}>
            <td className="truncate mono" title={device.id}>
              {device.name ?? device.id.slice(0, 8)}
            </td>
            <td className="truncate mono">{device.userId}</td>
            <td>{formatAgo(device.lastSeenAt)}</td>
            <td>{device.clockOffsetMs === null ? '—' : `${Math.round(device.clockOffsetMs / 1000)} s`}</td>
            <td>
              {device.revoked ? (
                <span className="status status-cancelled">revoked</span>
              ) : (
                <button
                  type="button"
                  className="button-small button-danger"
                  aria-label={`Revoke device ${device.name ?? device.id}`}
                  onClick={() => {
                    if (window.confirm('Revoke this device? It will be signed out and must sign in again.'))
                      void revokeDevice(device.id);
                  }}
                >
                  Revoke
                </button>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
