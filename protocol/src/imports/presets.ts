import { z } from 'zod';

/**
 * The tools organizers export attendee lists from, and the headers each writes: what the mapping
 * (./mapping.ts) picks columns by.
 */

export const IMPORT_PRESETS = ['eventbrite', 'pretix', 'plain'] as const;
export const importPresetSchema = z.enum(IMPORT_PRESETS);
export type ImportPreset = z.infer<typeof importPresetSchema>;

type PresetColumns = {
  /** Shown in the app. */
  label: string;
  /** Headers that must all be there for auto-detection to pick the preset (compared folded). */
  signature: string[];
  /** Per field, the headers the tool writes (the first present is taken). */
  columns: {
    name?: string[];
    firstName?: string[];
    lastName?: string[];
    email?: string[];
    ticketType?: string[];
    externalId?: string[][];
    orderDate?: string[];
  };
};

/**
 * Header names as the tools write them. Eventbrite's attendee report (Orders › Attendee summary,
 * CSV): "Order #", "Order Date" (`2024-05-02 14:31:07-07:00`), "First Name", "Last Name",
 * "Email", "Quantity", "Ticket Type", "Attendee #", … — "Attendee #" is unique per ticket.
 * pretix order positions (Export › Order data › Order positions, CSV): "Order code", "Position ID"
 * (counts from 1 within the order), "Order date" (`2024-05-02`), "Product", "Attendee name",
 * "Attendee email" (older versions: "E-mail"), … — a ticket is the order code with its position.
 * The plain sheet is the one people make by hand: name, email, ticket_type and an optional
 * external_id.
 */
export const IMPORT_PRESET_COLUMNS: Record<ImportPreset, PresetColumns> = {
  eventbrite: {
    label: 'Eventbrite attendee report',
    signature: ['Attendee #', 'Ticket Type'],
    columns: {
      firstName: ['First Name'],
      lastName: ['Last Name'],
      email: ['Email'],
      ticketType: ['Ticket Type'],
      externalId: [['Attendee #']],
      orderDate: ['Order Date'],
    },
  },
  pretix: {
    label: 'pretix order positions',
    signature: ['Order code', 'Position ID'],
    columns: {
      name: ['Attendee name', 'Name'],
      email: ['Attendee email', 'E-mail', 'Email'],
      ticketType: ['Product', 'Item'],
      externalId: [['Order code', 'Position ID']],
      orderDate: ['Order date'],
    },
  },
  plain: {
    label: 'Name, email, ticket type',
    signature: ['name'],
    columns: {
      name: ['name', 'full name', 'attendee'],
      email: ['email', 'e-mail'],
      ticketType: ['ticket_type', 'ticket type', 'ticket'],
      externalId: [['external_id'], ['external id'], ['id']],
      orderDate: ['ordered_at', 'order date', 'order_date', 'ordered at'],
    },
  },
};

/**
 * An order date as each preset's tool writes it, for messages. The server reads one grammar for
 * all (sync-server/src/imports/order-date.ts): `yyyy-MM-dd`, optionally a time `HH:mm[:ss[.SSS]]`
 * after `T` or a space, optionally an offset (`Z`, `±HH:mm`); a date or time without an offset is
 * on the event's clock (its `timezone`).
 */
export const IMPORT_ORDER_DATE_EXAMPLES: Record<ImportPreset, string> = {
  eventbrite: '2024-05-02 14:31:07-07:00',
  pretix: '2024-05-02',
  plain: '2024-05-02 or 2024-05-02 14:31',
};
