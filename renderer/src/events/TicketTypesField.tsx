import { truncateText, type TicketTypeInput } from '@gatehouse/protocol';
import { useState } from 'react';
import { parsePrice } from '../ui/format';

/**
 * A price typed in currency units ("12.50"), kept in minor units: the text stays as typed while it
 * is being written, and an amount that cannot be read is marked at the field.
 */
function PriceInput({ minorUnits, onChange }: { minorUnits: number; onChange: (minorUnits: number) => void }) {
  const [text, setText] = useState(() => (minorUnits / 100).toFixed(2));
  const readable = parsePrice(text) !== null;
  return (
    <label className={readable ? undefined : 'field-invalid'}>
      Price
      <input
        inputMode="decimal"
        value={text}
        aria-invalid={readable ? undefined : true}
        onChange={(e) => {
          setText(e.target.value);
          const parsed = parsePrice(e.target.value);
          if (parsed !== null) onChange(parsed);
        }}
        onBlur={() => {
          if (readable) setText((minorUnits / 100).toFixed(2));
        }}
      />
      {readable ? null : <span className="field-problem">An amount like 12.50</span>}
    </label>
  );
}

export function TicketTypesField({
  value,
  onChange,
  problem = null,
}: {
  value: TicketTypeInput[];
  onChange: (next: TicketTypeInput[]) => void;
  /** What is wrong with the ticket types, shown under them. */
  problem?: string | null;
}) {
  const change = (index: number, patch: Partial<TicketTypeInput>) =>
    onChange(value.map((type, at) => (at === index ? { ...type, ...patch } : type)));
  return (
    <fieldset
      className={`span-2 ticket-types${problem ? ' field-invalid' : ''}`}
      aria-describedby={problem ? 'ticket-types-problem' : undefined}
    >
      <legend>Ticket types</legend>
      {problem ? (
        <p id="ticket-types-problem" className="field-problem" role="alert">
          {problem}
        </p>
      ) : null}
      {value.map((type, index) => (
        // Each row is a group named after its ticket type, so "Name", "Price" and "Quota" are heard
        // with the row they belong to.
        <div
          className="ticket-type-row"
          key={type.id ?? `new-${index}`}
          role="group"
          aria-label={`Ticket type ${index + 1}${type.name ? `: ${type.name}` : ''}`}
        >
          <label>
            Name
            <input value={type.name} onChange={(e) => change(index, { name: truncateText(e.target.value, 100) })} />
          </label>
          <PriceInput minorUnits={type.price} onChange={(price) => change(index, { price })} />
          <label>
            Quota
            <input
              type="number"
              min={0}
              value={type.quota}
              onChange={(e) => change(index, { quota: Math.max(0, Math.trunc(Number(e.target.value) || 0)) })}
            />
          </label>
          <label className="ticket-type-photo" title="The door shows the attendee's photo for these tickets">
            <input
              type="checkbox"
              checked={type.requiresPhoto === true}
              onChange={(e) => change(index, { requiresPhoto: e.target.checked })}
            />
            Requires a photo
          </label>
          <button
            type="button"
            className="button-secondary"
            aria-label={`Remove ticket type ${type.name || index + 1}`}
            disabled={value.length === 1 || Boolean(type.id)}
            title={type.id ? 'Ticket types with bookings stay; set their quota to 0 instead' : undefined}
            onClick={() => onChange(value.filter((_, at) => at !== index))}
          >
            Remove
          </button>
        </div>
      ))}
      <button
        type="button"
        className="button-secondary"
        disabled={value.length >= 20}
        onClick={() => onChange([...value, { name: '', price: 0, quota: 0 }])}
      >
        Add ticket type
      </button>
    </fieldset>
  );
}
