import { useState, type KeyboardEvent } from 'react';
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

/** The tab an arrow, Home or End key moves to from `current`, wrapping round (WAI-ARIA APG tabs pattern). */
function tabAfterKey(current: Tab, key: string): Tab | null {
  const at = TABS.findIndex((entry) => entry.id === current);
  const to =
    key === 'ArrowRight'
      ? (at + 1) % TABS.length
      : key === 'ArrowLeft'
        ? (at - 1 + TABS.length) % TABS.length
        : key === 'Home'
          ? 0
          : key === 'End'
            ? TABS.length - 1
            : null;
  return to === null ? null : TABS[to]!.id;
}

export function AdminScreen() {
  const [tab, setTab] = useState<Tab>('users');

  // One Tab stop for the tab list, arrows within it, as screen-reader and keyboard users expect of tabs.
  function onTabKeyDown(event: KeyboardEvent<HTMLButtonElement>): void {
    const next = tabAfterKey(tab, event.key);
    if (!next) return;
    event.preventDefault();
    setTab(next);
    document.getElementById(`tab-${next}`)?.focus();
  }
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
            tabIndex={tab === entry.id ? 0 : -1}
            onClick={() => setTab(entry.id)}
            onKeyDown={onTabKeyDown}
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
