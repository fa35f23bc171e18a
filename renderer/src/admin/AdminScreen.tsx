import { useState } from 'react';
import { ErrorNotice } from '../ui/ErrorNotice';
import { useAdminStore } from './adminStore';
import { DevicesPanel } from './DevicesPanel';
import { MailPanel } from './MailPanel';
import { UnsentImport } from './UnsentImport';
import { UsersPanel } from './UsersPanel';

const TABS = [
  { id: 'users', label: 'Users and roles' },
  { id: 'devices', label: 'Devices' },
  { id: 'mail', label: 'Email outbox' },
] as const;
type Tab = (typeof TABS)[number]['id'];

export function AdminScreen() {
  const [tab, setTab] = useState<Tab>('users');
  const { error, notice, clearError } = useAdminStore();
  return (
    <section className="screen" aria-labelledby="admin-title">
      <header className="screen-header">
        <h1 id="admin-title">Admin</h1>
      </header>
      <div role="tablist" aria-label="Admin sections" className="tabs">
        {TABS.map((entry) => (
          <button
            key={entry.id}
            type="button"
            role="tab"
            id={`tab-${entry.id}`}
            aria-selected={tab === entry.id}
            aria-controls={`panel-${entry.id}`}
            onClick={() => setTab(entry.id)}
          >
            {entry.label}
          </button>
        ))}
      </div>
      <ErrorNotice error={error} onDismiss={clearError} />
      {notice ? (
        <p className="notice notice-ok" role="status">
          {notice}
        </p>
      ) : null}
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} className="tab-panel">
        {tab === 'users' ? (
          <UsersPanel />
        ) : tab === 'devices' ? (
          <>
            <UnsentImport />
            <DevicesPanel />
          </>
        ) : (
          <MailPanel />
        )}
      </div>
    </section>
  );
}
