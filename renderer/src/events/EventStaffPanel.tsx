import type { Event, StaffMember } from '@gatehouse/protocol';
import { useEffect } from 'react';
import { EmptyState } from '../ui/EmptyState';
import { ErrorNotice } from '../ui/ErrorNotice';
import { useStaffStore } from './staffStore';

function MemberRow({ member, action }: { member: StaffMember; action: React.ReactNode }) {
  return (
    <li className="staff-member">
      <span className="truncate" title={member.name}>
        <strong>{member.name}</strong> <span className="muted">{member.email}</span>
        {member.role !== 'staff' ? <span className="muted"> · {member.role}</span> : null}
      </span>
      {action}
    </li>
  );
}

/** Who may check people in at this event: assigned staff get the event on their devices at next sync. */
export function EventStaffPanel({ event, onDone }: { event: Event; onDone: () => void }) {
  const { staff, query, busy, error, open, search, add, remove, clearError } = useStaffStore();

  useEffect(() => {
    void open(event.id);
  }, [event.id, open]);

  return (
    <section aria-labelledby="staff-title" className="screen">
      <header className="screen-header">
        <h1 id="staff-title" className="truncate" title={event.title}>
          Staff at {event.title}
        </h1>
        <button type="button" onClick={onDone}>
          Back to events
        </button>
      </header>
      <ErrorNotice error={error} onDismiss={clearError} />
      <div className="staff-columns">
        <section aria-labelledby="staff-assigned-title" className="card">
          <h2 id="staff-assigned-title">Assigned ({staff?.assigned.length ?? 0})</h2>
          {staff && staff.assigned.length === 0 ? (
            <EmptyState title="Nobody is assigned yet.">
              <p>Find staff on the right and add them. They get this event on their devices at their next sync.</p>
            </EmptyState>
          ) : (
            <ul className="staff-list" aria-label="Assigned staff">
              {(staff?.assigned ?? []).map((member) => (
                <MemberRow
                  key={member.id}
                  member={member}
                  action={
                    <button
                      type="button"
                      className="button-small"
                      disabled={busy}
                      aria-label={`Remove ${member.name}`}
                      onClick={() => void remove(member)}
                    >
                      Remove
                    </button>
                  }
                />
              ))}
            </ul>
          )}
        </section>
        <section aria-labelledby="staff-add-title" className="card">
          <h2 id="staff-add-title">Add staff</h2>
          <input
            type="search"
            aria-label="Find staff by name or email"
            placeholder="Find staff by name or email"
            value={query}
            onChange={(change) => void search(change.target.value)}
          />
          {staff && staff.candidates.length === 0 ? (
            <EmptyState
              title={query.trim() ? 'No staff account matches.' : 'Everyone with a staff account is assigned.'}
            >
              <p>An admin creates staff accounts and gives them the staff role.</p>
            </EmptyState>
          ) : (
            <ul className="staff-list" aria-label="Staff you can add">
              {(staff?.candidates ?? []).map((member) => (
                <MemberRow
                  key={member.id}
                  member={member}
                  action={
                    <button
                      type="button"
                      className="button-small button-primary"
                      disabled={busy}
                      aria-label={`Add ${member.name}`}
                      onClick={() => void add(member)}
                    >
                      Add
                    </button>
                  }
                />
              ))}
            </ul>
          )}
        </section>
      </div>
    </section>
  );
}
