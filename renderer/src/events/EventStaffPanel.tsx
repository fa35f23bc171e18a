import type { Event, StaffMember } from '@gatehouse/protocol';
import { useEffect } from 'react';
import { EmptyState } from '../ui/EmptyState';
import { ErrorNotice } from '../ui/ErrorNotice';
import { useStaffStore } from './staffStore';

/** One list of people, each with one action button ("Remove Sam Steward", "Add Sam Steward"). */
function MemberList(props: {
  label: string;
  members: StaffMember[];
  action: 'Add' | 'Remove';
  busy: boolean;
  onAction: (member: StaffMember) => void;
}) {
  return (
    <ul className="staff-list" aria-label={props.label}>
      {props.members.map((member) => (
        <li key={member.id} className="staff-member">
          <span className="truncate" title={member.name}>
            <strong>{member.name}</strong> <span className="muted">{member.email}</span>
            {member.role !== 'staff' ? <span className="muted"> · {member.role}</span> : null}
          </span>
          <button
            type="button"
            className={props.action === 'Add' ? 'button-small button-primary' : 'button-small'}
            disabled={props.busy}
            aria-label={`${props.action} ${member.name}`}
            onClick={() => props.onAction(member)}
          >
            {props.action}
          </button>
        </li>
      ))}
    </ul>
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
            <MemberList
              label="Assigned staff"
              members={staff?.assigned ?? []}
              action="Remove"
              busy={busy}
              onAction={(member) => void remove(member)}
            />
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
            <MemberList
              label="Staff you can add"
              members={staff?.candidates ?? []}
              action="Add"
              busy={busy}
              onAction={(member) => void add(member)}
            />
          )}
        </section>
      </div>
    </section>
  );
}
