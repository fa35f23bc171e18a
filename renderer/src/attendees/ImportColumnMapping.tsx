import type { ImportMapping, ImportPreview } from '@gatehouse/protocol';

type Field = 'name' | 'firstName' | 'lastName' | 'email' | 'ticketType' | 'externalId' | 'orderDate' | 'photo';
const FIELDS: Array<{ field: Field; label: string }> = [
  { field: 'name', label: 'Name' },
  { field: 'firstName', label: 'First name' },
  { field: 'lastName', label: 'Last name' },
  { field: 'email', label: 'Email' },
  { field: 'ticketType', label: 'Ticket type' },
  { field: 'externalId', label: 'External id' },
  { field: 'orderDate', label: 'Order date' },
  { field: 'photo', label: 'Photo file' },
];

/** A mapping field as a select's value: '' for none, else the JSON of its column(s). */
function selectValue(mapping: ImportMapping | null, field: Field): string {
  const value = mapping?.[field];
  if (value === undefined) return '';
  return JSON.stringify(Array.isArray(value) ? value : [value]);
}

function withField(mapping: ImportMapping | null, field: Field, value: string): ImportMapping {
  const next: Record<string, unknown> = { ...(mapping ?? {}) };
  if (value === '') delete next[field];
  else {
    const columns = JSON.parse(value) as string[];
    next[field] = field === 'externalId' ? columns : columns[0];
  }
  return next as ImportMapping;
}

/**
 * The column mapping: per field, which of the file's columns holds it ("—" for none). A preset's
 * external id joined from two columns (pretix: order code + position) is offered as one choice.
 * Each change previews the file again with the new mapping (`onChange`).
 */
export function ImportColumnMapping({
  preview,
  mapping,
  disabled,
  onChange,
}: {
  preview: ImportPreview;
  mapping: ImportMapping | null;
  disabled: boolean;
  onChange: (mapping: ImportMapping) => void;
}) {
  const pretixId =
    preview.mapping?.externalId && preview.mapping.externalId.length > 1 ? preview.mapping.externalId : null;
  return (
    <fieldset className="import-mapping">
      <legend>Columns</legend>
      {FIELDS.map(({ field, label }) => (
        <label key={field}>
          {label}
          <select
            aria-label={`Column for ${label.toLowerCase()}`}
            value={selectValue(mapping, field)}
            disabled={disabled}
            onChange={(change) => onChange(withField(mapping, field, change.target.value))}
          >
            <option value="">—</option>
            {field === 'externalId' && pretixId ? (
              <option value={JSON.stringify(pretixId)}>{pretixId.join(' + ')}</option>
            ) : null}
            {preview.headers.map((header) => (
              <option key={header} value={JSON.stringify([header])}>
                {header}
              </option>
            ))}
          </select>
        </label>
      ))}
    </fieldset>
  );
}
