import { truncateText, type Event } from '@gatehouse/protocol';
import { useState, type FormEvent } from 'react';
import type { UiError } from '../errors/messages';
import { ErrorNotice } from '../ui/ErrorNotice';
import { placeProblems, type FieldMap } from '../ui/fieldProblems';
import { FormField } from '../ui/FormField';
import { useAttendeesStore } from './attendeesStore';

type WalkInField = 'name' | 'email' | 'ticketTypeId';

/** `bookings.walkIn` params (protocol rpc/bookings.ts) to the fields here, in words for the door. */
const WALK_IN_FIELDS: FieldMap<WalkInField> = {
  paths: {
    'attendee.name': 'name',
    'attendee.email': { field: 'email', text: 'Enter an email like name@example.com, or leave it empty.' },
    ticketTypeId: 'ticketTypeId',
  },
};

/**
 * Adds a walk-in to the open event. The core's schema judges the input (the form does not let the
 * browser's own email check pre-empt it), and what it refuses is shown beside the field at fault.
 */
export function WalkInForm({ event }: { event: Event }) {
  const walkIn = useAttendeesStore((state) => state.walkIn);
  const showTicket = useAttendeesStore((state) => state.showTicket);
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [ticketTypeId, setTicketTypeId] = useState(event.ticketTypes[0]?.id ?? '');
  const [added, setAdded] = useState<{ id: string; name: string; code: string; ticketTypeName: string } | null>(null);
  const [error, setError] = useState<UiError | null>(null);
  const [saving, setSaving] = useState(false);
  const placed = placeProblems(error, WALK_IN_FIELDS);

  async function submit(submitEvent: FormEvent): Promise<void> {
    submitEvent.preventDefault();
    setSaving(true);
    setError(null);
    const answer = await walkIn({
      ticketTypeId: ticketTypeId || event.ticketTypes[0]?.id || '',
      attendee: { name: name.trim(), ...(email.trim() ? { email: email.trim() } : {}) },
    });
    setSaving(false);
    if ('error' in answer) return setError(answer.error);
    const { booking } = answer;
    const typeName = event.ticketTypes.find((type) => type.id === booking.ticketTypeId)?.name ?? '';
    setAdded({ id: booking.id, name: booking.attendee.name, code: booking.code, ticketTypeName: typeName });
    setName('');
    setEmail('');
  }

  /** Editing a field at fault takes its mark away; the person is fixing it. */
  function edited(field: WalkInField): void {
    if (placed.fields[field]) setError(null);
  }

  return (
    <form className="walkin" aria-label="Add walk-in" noValidate onSubmit={(e) => void submit(e)}>
      <FormField label="Walk-in name" problem={placed.fields.name}>
        {(aria) => (
          <input
            {...aria}
            value={name}
            onChange={(e) => {
              setName(truncateText(e.target.value, 200));
              edited('name');
            }}
            required
          />
        )}
      </FormField>
      <FormField label="Email (optional)" problem={placed.fields.email}>
        {(aria) => (
          <input
            {...aria}
            type="email"
            value={email}
            onChange={(e) => {
              setEmail(e.target.value);
              edited('email');
            }}
          />
        )}
      </FormField>
      <FormField label="Ticket type" problem={placed.fields.ticketTypeId}>
        {(aria) => (
          <select
            {...aria}
            value={ticketTypeId}
            onChange={(e) => {
              setTicketTypeId(e.target.value);
              edited('ticketTypeId');
            }}
          >
            {event.ticketTypes.map((type) => (
              <option key={type.id} value={type.id}>
                {type.name}
              </option>
            ))}
          </select>
        )}
      </FormField>
      <button type="submit" className="button-primary" disabled={saving || !name.trim()}>
        Add walk-in
      </button>
      {added ? (
        <p className="walkin-added" role="status">
          Added {added.name} ({added.code}).{' '}
          <button type="button" className="button-link" onClick={() => void showTicket(added.id, added)}>
            Show ticket
          </button>
        </p>
      ) : null}
      <ErrorNotice error={placed.notice} onDismiss={() => setError(null)} />
    </form>
  );
}
