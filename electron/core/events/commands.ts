import { type Event, GatehouseError } from '@gatehouse/protocol';
import type { Account } from '../account';

/**
 * Edits an event offline (organizer and above); the server applies each field last-writer-wins by
 * HLC. NOT_FOUND for an event not on this device; VALIDATION_FAILED for a patch its schema refuses.
 */
export function updateEvent(account: Account, eventId: string, patch: Record<string, unknown>): Event {
  account.withRole('organizer');
  if (!account.events.get(eventId)) throw new GatehouseError('NOT_FOUND', 'No such event on this device');
  return account.mutate('event.update', { eventId, patch }).doc as Event;
}
