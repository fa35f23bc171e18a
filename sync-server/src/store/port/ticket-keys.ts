import type { TicketKeyRow } from '../rows';

export interface TicketKeyRepository {
  /** Inserts a key (rev 1) and logs its public half to the event's bucket. */
  insert(row: Omit<TicketKeyRow, 'rev'>): Promise<TicketKeyRow>;
  /** Oldest first. */
  listForEvent(eventId: string): Promise<TicketKeyRow[]>;
  /** The newest key not retired, or null. */
  signingKey(eventId: string): Promise<TicketKeyRow | null>;
}
