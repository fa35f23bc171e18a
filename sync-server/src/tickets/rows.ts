import { eventBucket, type TicketKeyDoc } from '@gatehouse/protocol';
import type { ChangeOf, LoggedRow } from '../sync/changelog';

/** One Ed25519 key pair of an event. The private key is read only by TicketService.tokenFor. */
export type TicketKeyRow = LoggedRow & {
  eventId: string;
  kid: string;
  publicKey: string;
  privateKey: string;
  createdAt: string;
  retiredAt: string | null;
};

export function toTicketKeyDoc(row: TicketKeyRow): TicketKeyDoc {
  return {
    id: row._id,
    eventId: row.eventId,
    kid: row.kid,
    publicKey: row.publicKey,
    createdAt: row.createdAt,
    retiredAt: row.retiredAt,
  };
}

export const ticketKeyChange: ChangeOf<TicketKeyRow> = (row) => ({
  bucket: eventBucket(row.eventId),
  type: 'ticketKey',
  id: row._id,
  doc: toTicketKeyDoc(row),
});
