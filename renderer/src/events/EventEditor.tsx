import {
  truncateText,
  type Event,
  type EventCreateInput,
  type EventStatus,
  type TicketTypeInput,
} from '@gatehouse/protocol';
import { useId, useMemo, useState, type FormEvent } from 'react';
import { ErrorNotice } from '../ui/ErrorNotice';
import { localProblem, placeProblems, type FieldMap, type PlacedProblems } from '../ui/fieldProblems';
import { FormField } from '../ui/FormField';
import { fromZonedInputValue, isKnownTimeZone, knownTimeZones, toZonedInputValue, zoneLabel } from '../ui/format';
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
  staffWalkIns: boolean;
};

function initialDraft(event: Event | null): Draft {
  if (event) {
    return {
      title: event.title,
      venue: event.venue,
      description: event.description,
      startsAt: toZonedInputValue(event.startsAt, event.timezone),
      endsAt: toZonedInputValue(event.endsAt, event.timezone),
      timezone: event.timezone,
      capacity: String(event.capacity),
      status: event.status,
      ticketTypes: event.ticketTypes.map(({ id, name, price, quota, requiresPhoto }) => ({
        id,
        name,
        price,
        quota,
        ...(requiresPhoto ? { requiresPhoto } : {}),
      })),
      allowReentry: event.allowReentry !== false,
      staffWalkIns: event.staffWalkIns === true,
    };
  }
  const timezone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  // A week from now, 19:00 to 23:00 on the event zone's clock.
  const day = toZonedInputValue(new Date(Date.now() + 7 * 86_400_000).toISOString(), timezone).slice(0, 10);
  return {
    title: '',
    venue: '',
    description: '',
    startsAt: `${day}T19:00`,
    endsAt: `${day}T23:00`,
    timezone,
    capacity: '100',
    status: 'published',
    ticketTypes: [{ name: 'General admission', price: 0, quota: 100 }],
    allowReentry: true,
    staffWalkIns: false,
  };
}

/** A field a person can fix, and what to tell them beside it. */
type Problem = { field: EditorField; text: string };
type EditorField = Exclude<keyof Draft, 'allowReentry' | 'staffWalkIns'>;

const EDITOR_FIELDS: readonly EditorField[] = [
  'title',
  'venue',
  'description',
  'startsAt',
  'endsAt',
  'timezone',
  'capacity',
  'status',
  'ticketTypes',
];

/**
 * The core's detail paths for each field: `event.*` (events.create), `patch.*` (events.update),
 * and bare names, as the server's own answer for the same body names them.
 */
const EVENT_FIELD_MAP: FieldMap<EditorField> = {
  paths: Object.fromEntries(
    EDITOR_FIELDS.flatMap((field) => [
      [field, field],
      [`event.${field}`, field],
      [`patch.${field}`, field],
    ]),
  ),
};

/**
 * Checks what a person can fix before anything is sent; the core validates again with the same
 * schema. Times are wall times on the event zone's clock, made instants here. The re-entry rule and
 * the staff walk-in setting are each sent only when it differs from what the server already holds (or, for a new event, from its
 * default): a server from before the rule refuses the field, and an organizer who never touches it
 * must still be able to edit there.
 */
function toEvent(draft: Draft, original: Event | null): { event: EventCreateInput } | { problem: Problem } {
  const timezone = draft.timezone.trim();
  const capacity = Number(draft.capacity);
  if (!draft.title.trim()) return { problem: { field: 'title', text: 'Give the event a title.' } };
  if (!draft.venue.trim()) return { problem: { field: 'venue', text: 'Say where the event takes place.' } };
  if (!isKnownTimeZone(timezone))
    return { problem: { field: 'timezone', text: 'Pick the time zone from the list, e.g. Europe/Berlin.' } };
  const startsAt = fromZonedInputValue(draft.startsAt, timezone);
  const endsAt = fromZonedInputValue(draft.endsAt, timezone);
  if (!startsAt) return { problem: { field: 'startsAt', text: 'Enter when the event starts.' } };
  if (!endsAt) return { problem: { field: 'endsAt', text: 'Enter when the event ends.' } };
  if (Date.parse(endsAt) <= Date.parse(startsAt))
    return { problem: { field: 'endsAt', text: 'The event must end after it starts.' } };
  if (!Number.isInteger(capacity) || capacity < 0)
    return { problem: { field: 'capacity', text: 'Capacity must be a whole number.' } };
  if (draft.ticketTypes.length === 0)
    return { problem: { field: 'ticketTypes', text: 'Add at least one ticket type.' } };
  if (draft.ticketTypes.some((type) => !type.name.trim()))
    return { problem: { field: 'ticketTypes', text: 'Every ticket type needs a name.' } };
  const held = original ? original.allowReentry !== false : true;
  const heldWalkIns = original?.staffWalkIns === true;
  return {
    event: {
      ...(draft.allowReentry !== held ? { allowReentry: draft.allowReentry } : {}),
      ...(draft.staffWalkIns !== heldWalkIns ? { staffWalkIns: draft.staffWalkIns } : {}),
      title: draft.title.trim(),
      venue: draft.venue.trim(),
      description: draft.description,
      startsAt,
      endsAt,
      timezone,
      capacity,
      status: draft.status,
      ticketTypes: draft.ticketTypes,
    },
  };
}

export function EventEditor({ event, onDone }: { event: Event | null; onDone: (saved: Event | null) => void }) {
  const [draft, setDraft] = useState(() => initialDraft(event));
  const [problem, setProblem] = useState<Problem | null>(null);
  const zones = useMemo(knownTimeZones, []);
  const zonesId = useId();
  const [saving, setSaving] = useState(false);
  const { create, update, error, clearError } = useEventsStore();
  // A problem found here comes first; else what the core refused, on the fields it names.
  const placed: PlacedProblems<EditorField> = problem
    ? localProblem(problem.field, problem.text)
    : placeProblems(error, EVENT_FIELD_MAP);
  const edit = <K extends keyof Draft>(key: K, value: Draft[K]) => {
    setDraft((current) => ({ ...current, [key]: value }));
    if (placed.fields[key as EditorField]) {
      setProblem(null);
      clearError();
    }
  };

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
        <FormField label="Title" problem={placed.fields.title} className="span-2">
          {(aria) => (
            <input {...aria} value={draft.title} onChange={(e) => edit('title', truncateText(e.target.value, 200))} />
          )}
        </FormField>
        <FormField label="Venue" problem={placed.fields.venue} className="span-2">
          {(aria) => (
            <input {...aria} value={draft.venue} onChange={(e) => edit('venue', truncateText(e.target.value, 300))} />
          )}
        </FormField>
        <FormField
          label="Time zone"
          problem={placed.fields.timezone}
          hint="Start typing a city or region; times below are on this zone's clock."
        >
          {(aria) => (
            <>
              <input
                {...aria}
                list={zonesId}
                value={draft.timezone}
                onChange={(e) => edit('timezone', e.target.value)}
                autoComplete="off"
                spellCheck={false}
              />
              <datalist id={zonesId}>
                {zones.map((zone) => (
                  <option key={zone} value={zone}>
                    {zoneLabel(zone)}
                  </option>
                ))}
              </datalist>
            </>
          )}
        </FormField>
        <FormField label="Capacity" problem={placed.fields.capacity}>
          {(aria) => (
            <input
              {...aria}
              type="number"
              min={0}
              value={draft.capacity}
              onChange={(e) => edit('capacity', e.target.value)}
              inputMode="numeric"
            />
          )}
        </FormField>
        <FormField
          label={`Starts (${zoneLabel(draft.timezone.trim() || 'UTC')} time)`}
          problem={placed.fields.startsAt}
        >
          {(aria) => (
            <input
              {...aria}
              type="datetime-local"
              value={draft.startsAt}
              onChange={(e) => edit('startsAt', e.target.value)}
            />
          )}
        </FormField>
        <FormField label={`Ends (${zoneLabel(draft.timezone.trim() || 'UTC')} time)`} problem={placed.fields.endsAt}>
          {(aria) => (
            <input
              {...aria}
              type="datetime-local"
              value={draft.endsAt}
              onChange={(e) => edit('endsAt', e.target.value)}
            />
          )}
        </FormField>
        <FormField label="Status" problem={placed.fields.status}>
          {(aria) => (
            <select {...aria} value={draft.status} onChange={(e) => edit('status', e.target.value as EventStatus)}>
              <option value="draft">Draft</option>
              <option value="published">Published</option>
              <option value="cancelled">Cancelled</option>
            </select>
          )}
        </FormField>
        <label className="checkbox-field">
          <input
            type="checkbox"
            checked={draft.allowReentry}
            onChange={(e) => edit('allowReentry', e.target.checked)}
          />
          Guests who leave may re-enter
        </label>
        <label className="checkbox-field">
          <input
            type="checkbox"
            checked={draft.staffWalkIns}
            onChange={(e) => edit('staffWalkIns', e.target.checked)}
          />
          Check-in staff may add walk-ins
        </label>
        <FormField label="Description" problem={placed.fields.description} className="span-2">
          {(aria) => (
            <textarea
              {...aria}
              rows={2}
              value={draft.description}
              onChange={(e) => edit('description', e.target.value)}
            />
          )}
        </FormField>
        <TicketTypesField
          value={draft.ticketTypes}
          onChange={(ticketTypes) => edit('ticketTypes', ticketTypes)}
          problem={placed.fields.ticketTypes?.text ?? null}
        />
        <div className="span-2">
          <ErrorNotice error={placed.notice} />
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
