import {
  truncateText,
  type Event,
  type EventCreateInput,
  type EventStatus,
  type TicketTypeInput,
} from '@gatehouse/protocol';
import { useState, type FormEvent } from 'react';
import { ErrorNotice } from '../ui/ErrorNotice';
import { fromLocalInputValue, toLocalInputValue } from '../ui/format';
import { useEventsStore } from './eventsStore';
import { TicketTypesField } from './TicketTypesField';

type Draft = {
  title: string;
  venue: string;
  description: string;
  startsAt: string;
  endsAt: string;
  timezone: string;
  capacity: string;
  status: EventStatus;
  ticketTypes: TicketTypeInput[];
  allowReentry: boolean;
};

function initialDraft(event: Event | null): Draft {
  if (event) {
    return {
      title: event.title,
      venue: event.venue,
      description: event.description,
      startsAt: toLocalInputValue(event.startsAt),
      endsAt: toLocalInputValue(event.endsAt),
      timezone: event.timezone,
      capacity: String(event.capacity),
      status: event.status,
      ticketTypes: event.ticketTypes.map(({ id, name, price, quota }) => ({ id, name, price, quota })),
      allowReentry: event.allowReentry !== false,
    };
  }
  const start = new Date(Date.now() + 7 * 86_400_000);
  start.setHours(19, 0, 0, 0);
  const end = new Date(start.getTime() + 4 * 3_600_000);
  return {
    title: '',
    venue: '',
    description: '',
    startsAt: toLocalInputValue(start.toISOString()),
    endsAt: toLocalInputValue(end.toISOString()),
    timezone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC',
    capacity: '100',
    status: 'published',
    ticketTypes: [{ name: 'General admission', price: 0, quota: 100 }],
    allowReentry: true,
  };
}

/**
 * Checks what a person can fix before anything is sent; the core validates again with the same
 * schema. The re-entry rule is sent only when it differs from what the server already holds (or,
 * for a new event, from its default): a server from before the rule refuses the field, and an
 * organizer who never touches it must still be able to edit there.
 */
function toEvent(draft: Draft, original: Event | null): { event: EventCreateInput } | { problem: string } {
  const startsAt = fromLocalInputValue(draft.startsAt);
  const endsAt = fromLocalInputValue(draft.endsAt);
  const capacity = Number(draft.capacity);
  if (!draft.title.trim()) return { problem: 'Give the event a title.' };
  if (!draft.venue.trim()) return { problem: 'Say where the event takes place.' };
  if (!startsAt || !endsAt) return { problem: 'Enter when the event starts and ends.' };
  if (Date.parse(endsAt) <= Date.parse(startsAt)) return { problem: 'The event must end after it starts.' };
  if (!Number.isInteger(capacity) || capacity < 0) return { problem: 'Capacity must be a whole number.' };
  if (draft.ticketTypes.length === 0) return { problem: 'Add at least one ticket type.' };
  if (draft.ticketTypes.some((type) => !type.name.trim())) return { problem: 'Every ticket type needs a name.' };
  const held = original ? original.allowReentry !== false : true;
  return {
    event: {
      ...(draft.allowReentry !== held ? { allowReentry: draft.allowReentry } : {}),
      title: draft.title.trim(),
      venue: draft.venue.trim(),
      description: draft.description,
      startsAt,
      endsAt,
      timezone: draft.timezone.trim(),
      capacity,
      status: draft.status,
      ticketTypes: draft.ticketTypes,
    },
  };
}

export function EventEditor({ event, onDone }: { event: Event | null; onDone: (saved: Event | null) => void }) {
  const [draft, setDraft] = useState(() => initialDraft(event));
  const [problem, setProblem] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const { create, update, error, clearError } = useEventsStore();
  const edit = <K extends keyof Draft>(key: K, value: Draft[K]) =>
    setDraft((current) => ({ ...current, [key]: value }));

  async function submit(submitEvent: FormEvent): Promise<void> {
    submitEvent.preventDefault();
    clearError();
    const checked = toEvent(draft, event);
    if ('problem' in checked) return setProblem(checked.problem);
    setProblem(null);
    setSaving(true);
    const saved = event ? await update(event.id, checked.event) : await create(checked.event);
    setSaving(false);
    if (saved) onDone(saved);
  }

  const title = event ? `Edit ${event.title}` : 'New event';
  return (
    <section className="screen" aria-labelledby="editor-title">
      <header className="screen-header">
        <h1 id="editor-title" className="truncate">
          {title}
        </h1>
      </header>
      <form className="card form-grid" onSubmit={(submitEvent) => void submit(submitEvent)}>
        <label className="span-2">
          Title
          <input value={draft.title} onChange={(e) => edit('title', truncateText(e.target.value, 200))} required />
        </label>
        <label className="span-2">
          Venue
          <input value={draft.venue} onChange={(e) => edit('venue', truncateText(e.target.value, 300))} required />
        </label>
        <label>
          Starts
          <input type="datetime-local" value={draft.startsAt} onChange={(e) => edit('startsAt', e.target.value)} />
        </label>
        <label>
          Ends
          <input type="datetime-local" value={draft.endsAt} onChange={(e) => edit('endsAt', e.target.value)} />
        </label>
        <label>
          Time zone
          <input value={draft.timezone} onChange={(e) => edit('timezone', e.target.value)} />
        </label>
        <label>
          Capacity
          <input
            type="number"
            min={0}
            value={draft.capacity}
            onChange={(e) => edit('capacity', e.target.value)}
            inputMode="numeric"
          />
        </label>
        <label>
          Status
          <select value={draft.status} onChange={(e) => edit('status', e.target.value as EventStatus)}>
            <option value="draft">Draft</option>
            <option value="published">Published</option>
            <option value="cancelled">Cancelled</option>
          </select>
        </label>
        <label className="checkbox-field">
          <input
            type="checkbox"
            checked={draft.allowReentry}
            onChange={(e) => edit('allowReentry', e.target.checked)}
          />
          Guests who leave may re-enter
        </label>
        <label className="span-2">
          Description
          <textarea rows={2} value={draft.description} onChange={(e) => edit('description', e.target.value)} />
        </label>
        <TicketTypesField value={draft.ticketTypes} onChange={(ticketTypes) => edit('ticketTypes', ticketTypes)} />
        <div className="span-2">
          {problem ? (
            <p className="notice notice-error" role="alert">
              {problem}
            </p>
          ) : null}
          <ErrorNotice error={error} />
        </div>
        <div className="span-2 form-actions">
          <button type="submit" className="button-primary" disabled={saving}>
            {saving ? 'Saving…' : event ? 'Save changes' : 'Create event'}
          </button>
          <button type="button" className="button-secondary" onClick={() => onDone(null)}>
            Cancel
          </button>
        </div>
      </form>
    </section>
  );
}
