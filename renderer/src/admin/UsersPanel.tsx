import { ROLES, roleLabels, type Role } from '@gatehouse/protocol';
import { useEffect } from 'react';
import { useSessionStore } from '../session/sessionStore';
import { EmptyState } from '../ui/EmptyState';
import { useAdminStore } from './adminStore';

export function UsersPanel() {
  const { users, usersCursor, userQuery, loadUsers, setUserQuery, updateUser, endSessions } = useAdminStore();
  const myId = useSessionStore((state) => state.session?.user?.id);
  useEffect(() => {
    void loadUsers();
  }, [loadUsers]);

  return (
    <>
      <input
        type="search"
        aria-label="Search users"
        placeholder="Search users by name or email"
        value={userQuery}
        onChange={(e) => setUserQuery(e.target.value)}
      />
      {users.length === 0 ? (
        <EmptyState title="No users found." />
      ) : (
        <table className="data-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">Access</th>
            </tr>
          </thead>
          <tbody>
            {users.map((user) => (
              <tr key={user.id}>
                <td className="truncate" title={user.name}>
                  {user.name}
                </td>
                <td className="truncate" title={user.email}>
                  {user.email}
                </td>
                <td>
                  <select
                    aria-label={`Role of ${user.name}`}
                    value={user.role}
                    disabled={user.id === myId}
                    onChange={(e) => {
                      const role = e.target.value as Role;
                      // The select stays on the held role unless confirmed: it shows user.role.
                      if (
                        window.confirm(
                          `Change ${user.name}'s role from ${roleLabels[user.role]} to ${roleLabels[role]}?`,
                        )
                      )
                        void updateUser(user.id, { role });
                    }}
                  >
                    {ROLES.map((role) => (
                      <option key={role} value={role}>
                        {roleLabels[role]}
                      </option>
                    ))}
                  </select>
                </td>
                <td>
                  <button
                    type="button"
                    className={user.disabled ? 'button-secondary' : 'button-small button-danger'}
                    disabled={user.id === myId}
                    aria-label={`${user.disabled ? 'Enable' : 'Disable'} ${user.name}`}
                    onClick={() => {
                      const question = user.disabled
                        ? `Let ${user.name} sign in again?`
                        : `Disable ${user.name}? They are signed out on every device, and changes their devices still hold are refused.`;
                      if (window.confirm(question)) void updateUser(user.id, { disabled: !user.disabled });
                    }}
                  >
                    {user.disabled ? 'Enable' : 'Disable'}
                  </button>{' '}
                  <button
                    type="button"
                    className="button-small"
                    disabled={user.id === myId || user.disabled}
                    aria-label={`Sign out everywhere: ${user.name}`}
                    onClick={() => {
                      if (
                        window.confirm(
                          `Sign ${user.name} out on every device? Their devices keep their data and unsent changes and ask them to sign in again.`,
                        )
                      )
                        void endSessions(user);
                    }}
                  >
                    Sign out everywhere
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {usersCursor ? (
        <button type="button" className="button-secondary" onClick={() => void loadUsers(true)}>
          Show more
        </button>
      ) : null}
    </>
  );
}
