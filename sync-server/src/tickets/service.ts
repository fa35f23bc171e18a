import { generateTicketKeyPair, signTicket, type Booking, type TicketKeyDoc } from '@gatehouse/protocol';
import type { Collection, Db } from 'mongodb';
import QRCode from 'qrcode';
import type { ChangeLog } from '../sync/changelog';
import { ticketKeyChange, toTicketKeyDoc, type TicketKeyRow } from './rows';

export type TicketWindow = { startsAt: string; endsAt: string };

/**
 * Per-event signing keys and ticket tokens. Private keys stay in `ticketKeys` and are only ever
 * used here; the change log and every response carry the public half (toTicketKeyDoc).
 */
export class TicketService {
  readonly keys: Collection<TicketKeyRow>;

  constructor(
    db: Db,
    private readonly changeLog: ChangeLog,
  ) {
    this.keys = db.collection<TicketKeyRow>('ticketKeys');
  }

  async ensureIndexes(): Promise<void> {
    await this.keys.createIndex({ eventId: 1, createdAt: 1 });
    await this.keys.createIndex({ kid: 1 }, { unique: true });
  }

  repairPending(): Promise<number> {
    return this.changeLog.repairPending(this.keys, ticketKeyChange);
  }

  /** A fresh key pair for the event; older keys stay valid (for rotation) until retired. */
  async createKey(eventId: string): Promise<TicketKeyDoc> {
    const pair = generateTicketKeyPair();
    const row = await this.changeLog.insertAndLog(
      this.keys,
      {
        _id: `${eventId}-${pair.kid}`,
        rev: 0,
        eventId,
        kid: pair.kid,
        publicKey: pair.publicKey,
        privateKey: pair.privateKey,
        createdAt: new Date().toISOString(),
        retiredAt: null,
      },
      ticketKeyChange,
    );
    return toTicketKeyDoc(row);
  }

  /** Rotation: a new signing key; the previous ones keep verifying the tickets already issued. */
  async rotate(eventId: string): Promise<TicketKeyDoc[]> {
    await this.createKey(eventId);
    return this.publicKeys(eventId);
  }

  async publicKeys(eventId: string): Promise<TicketKeyDoc[]> {
    const rows = await this.keys.find({ eventId }).sort({ createdAt: 1, _id: 1 }).limit(100).toArray();
    return rows.map(toTicketKeyDoc);
  }

  /** The newest unretired key signs; an event whose key write was lost gets one now. */
  private async signingKey(eventId: string): Promise<TicketKeyRow> {
    const newest = await this.keys.find({ eventId, retiredAt: null }).sort({ createdAt: -1, _id: -1 }).limit(1).next();
    if (newest) return newest;
    const created = await this.createKey(eventId);
    return (await this.keys.findOne({ _id: created.id }))!;
  }

  async tokenFor(booking: Pick<Booking, 'id' | 'eventId' | 'ticketTypeId'>, window: TicketWindow): Promise<string> {
    const key = await this.signingKey(booking.eventId);
    return signTicket(
      {
        kid: key.kid,
        eventId: booking.eventId,
        bookingId: booking.id,
        ticketTypeId: booking.ticketTypeId,
        validFrom: Math.floor(Date.parse(window.startsAt) / 1000),
        validUntil: Math.ceil(Date.parse(window.endsAt) / 1000),
      },
      key.privateKey,
    );
  }

  async qrImages(token: string): Promise<{ qrSvg: string; qrPngDataUrl: string }> {
    const options = { errorCorrectionLevel: 'M' as const, margin: 2 };
    const [qrSvg, qrPngDataUrl] = await Promise.all([
      QRCode.toString(token, { ...options, type: 'svg' }),
      QRCode.toDataURL(token, { ...options, width: 320 }),
    ]);
    return { qrSvg, qrPngDataUrl };
  }
}
