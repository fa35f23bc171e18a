import { MAIL_STATUSES, type MailStatus } from '@gatehouse/protocol';
import { useEffect } from 'react';
import { EmptyState } from '../ui/EmptyState';
import { formatAgo } from '../ui/format';
import { useAdminStore } from './adminStore';

const FILTERS: Array<MailStatus | 'all'> = ['all', ...MAIL_STATUSES];

export function MailPanel() {
  const { mail, mailFilter, loadMail, setMailFilter, retryMail, discardMail } = useAdminStore();
  useEffect(() => {
    void loadMail();
  }, [loadMail]);
  return (
    <>
      <label className="inline-label">
        Show
        <select value={mailFilter} onChange={(e) => setMailFilter(e.target.value as MailStatus | 'all')}>
          {FILTERS.map((filter) => (
            <option key={filter} value={filter}>
              {filter === 'dead' ? 'failed (gave up)' : filter}
            </option>
          ))}
        </select>
      </label>
      {mail.length === 0 ? (
        <EmptyState title="No messages." />
      ) : (
        <table className="data-table">
          <thead>
            <tr>
              <th scope="col">To</th>
              <th scope="col">Subject</th>
              <th scope="col">Status</th>
              <th scope="col" className="numeric">
                Tries
              </th>
              <th scope="col">Created</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {mail.map((message) => (
              <tr key={message.id}>
                <td className="truncate" title={message.to}>
                  {message.to}
                </td>
                <td className="truncate" title={message.lastError ?? message.subject}>
                  {message.subject}
                </td>
                <td>
                  <span className={`status status-mail-${message.status}`}>{message.status}</span>
                </td>
                <td className="numeric">{message.attempts}</td>
                <td>{formatAgo(message.createdAt)}</td>
                <td>
                  <div className="row-actions">
                    {message.status === 'dead' ? (
                      <>
                        <button type="button" className="button-small" onClick={() => void retryMail(message.id)}>
                          Retry
                        </button>
                        <button
                          type="button"
                          className="button-small button-danger"
                          onClick={() => void discardMail(message.id)}
                        >
                          Discard
                        </button>
                      </>
                    ) : null}
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
