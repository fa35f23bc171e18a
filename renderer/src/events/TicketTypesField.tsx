import { truncateText, type TicketTypeInput } from '@gatehouse/protocol';

export function TicketTypesField({
  value,
  onChange,
}: {
  value: TicketTypeInput[];
  onChange: (next: TicketTypeInput[]) => void;
}) {
  const change = (index: number, patch: Partial<TicketTypeInput>) =>
    onChange(value.map((type, at) => (at === index ? { ...type, ...patch } : type)));
  return (
    <fieldset className="span-2 ticket-types">
      <legend>Ticket types</legend>
      {value.map((type, index) => (
        <div className="ticket-type-row" key={type.id ?? `new-${index}`}>
          <label>
            Name
            <input value={type.name} onChange={(e) => change(index, { name: truncateText(e.target.value, 100) })} />
          </label>
          <label>
            Price (cents)
            <input
              type="number"
              min={0}
              value={type.price}
              onChange={(e) => change(index, { price: Math.max(0, Math.trunc(Number(e.target.value) || 0)) })}
            />
          </label>
          <label>
            Quota
            <input
              type="number"
              min={0}
              value={type.quota}
              onChange={(e) => change(index, { quota: Math.max(0, Math.trunc(Number(e.target.value) || 0)) })}
            />
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
