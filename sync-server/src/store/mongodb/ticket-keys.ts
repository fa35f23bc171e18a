import type { Collection } from 'mongodb';
import { storeErrors } from '../errors';
import type { TicketKeyRepository } from '../port';
import type { TicketKeyRow } from '../rows';
import { changeOf } from '../wire';
import type { LoggedCollection } from './changelog';
import type { StoreContext } from './context';
import { COLLECTIONS, toTicketKeyRow, withoutId, type EventDoc, type TicketKeyDoc } from './documents';

/** Events' Ed25519 key pairs; the change log carries only the public half (changeOf.ticketKey). */
export class MongoTicketKeys implements TicketKeyRepository {
  readonly target: LoggedCollection<TicketKeyDoc>;

  private readonly events: Collection<EventDoc>;

  constructor(private readonly context: StoreContext) {
    this.events = context.db.collection<EventDoc>(COLLECTIONS.events);
    this.target = context.changeLog.register({
      collection: context.db.collection<TicketKeyDoc>(COLLECTIONS.ticketKeys),
      toChange: (doc) => changeOf.ticketKey(toTicketKeyRow(doc)),
    });
  }

  async insert(row: Omit<TicketKeyRow, 'rev'>): Promise<TicketKeyRow> {
    const event = await this.events.findOne({ _id: row.eventId }, { projection: { deletedAt: 1 } });
    if (!event || event.deletedAt) throw storeErrors.eventNotFound();
    const stored = await this.context.changeLog.insertAndLog(this.target, { _id: row.id, ...withoutId(row) });
    return toTicketKeyRow(stored);
  }

  async listForEvent(eventId: string): Promise<TicketKeyRow[]> {
    const docs = await this.target.collection.find({ eventId }).sort({ createdAt: 1, _id: 1 }).limit(100).toArray();
    return docs.map(toTicketKeyRow);
  }

  async signingKey(eventId: string): Promise<TicketKeyRow | null> {
    const newest = await this.target.collection
      .find({ eventId, retiredAt: null })
      .sort({ createdAt: -1, _id: -1 })
      .limit(1)
      .next();
    return newest ? toTicketKeyRow(newest) : null;
  }
}
