import { useEffect } from 'react';
import { useSessionStore } from '../session/sessionStore';
import { EmptyState } from '../ui/EmptyState';
import { formatAgo } from '../ui/format';
import { useAdminStore } from './adminStore';

/** Every device that synced: whose it is (by name and email), this one marked, when last seen. */
export function DevicesPanel() {
  const { devices, users, loadDevices, loadUsers, revokeDevice } = useAdminStore();
  const thisDevice = useSessionStore((state) => state.session?.deviceId);
  const usersLoaded = users.length > 0;
  useEffect(() => {
    void loadDevices();
    // Devices name their user by id; the users list gives the name and email.
    if (!usersLoaded) void loadUsers();
  }, [loadDevices, loadUsers, usersLoaded]);
  const userById = new Map(users.map((user) => [user.id, user]));
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
            <td className="truncate" title={device.id}>
              {device.name ?? `Device ${device.id.slice(0, 8)}`}
              {device.id === thisDevice ? <span className="cell-hint">This device</span> : null}
            </td>
            <td className="truncate" title={userById.get(device.userId)?.email ?? device.userId}>
              {userById.get(device.userId)?.name ?? `User ${device.userId.slice(0, 8)}`}
              {userById.get(device.userId) ? (
                <span className="cell-hint truncate">{userById.get(device.userId)!.email}</span>
              ) : null}
            </td>
            <td>{formatAgo(device.lastSeenAt)}</td>
            <td>{device.clockOffsetMs === null ? '—' : `${Math.round(device.clockOffsetMs / 1000)} s`}</td>
            <td>
              {device.revoked ? (
                <span className="status status-cancelled">revoked</span>
              ) : (
                <button
                  type="button"
                  className="button-small button-danger"
                  aria-label={`Revoke device ${device.name ?? device.id.slice(0, 8)}`}
                  onClick={() => {
                    const whose = userById.get(device.userId)?.name ?? 'its user';
                    if (window.confirm(`Revoke this device of ${whose}? It is signed out and must sign in again.`))
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
