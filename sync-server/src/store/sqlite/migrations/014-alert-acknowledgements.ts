import type { Migration } from './index';

/**
 * Acknowledged alerts (protocol version 3, `alert.acknowledge`): who acknowledged, when and their
 * note, kept on the alert as one JSON object (`AlertAcknowledgementRow`); NULL until someone does.
 * Nothing reads inside it in SQL: it travels whole with the alert.
 */
export const migration014: Migration = {
  version: 14,
  name: 'alert-acknowledgements',
  sql: `
ALTER TABLE alerts ADD COLUMN acknowledgement TEXT;
`,
};
