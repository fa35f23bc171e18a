import {
  GatehouseError,
  generateTicketKeyPair,
  signTicket,
  type Booking,
  type TicketKeyDoc,
} from '@gatehouse/protocol';
import QRCode from 'qrcode';
import type { Store } from '../store/port';
import type { TicketKeyRow } from '../store/rows';
import { toTicketKeyDoc } from '../store/wire';

export type TicketWindow = { startsAt: string; endsAt: string };

/**
 * Per-event signing keys and ticket tokens (docs/ARCHITECTURE.md §5, Tickets: Ed25519, key id in the token). Private keys
 * stay in the store and are used only here; devices and responses get the public half.
 */
export class TicketService {
  constructor(private readonly store: Store) {}

  /** A fresh key pair for `eventId`, not yet stored (an event is inserted with its first key). */
  newKey(eventId: string): Omit<TicketKeyRow, 'rev'> {
    const pair = generateTicketKeyPair();
    return {
      id: `${eventId}-${pair.kid}`,
      eventId,
      kid: pair.kid,
      publicKey: pair.publicKey,
      privateKey: pair.privateKey,
      createdAt: new Date().toISOString(),
      retiredAt: null,
    };
  }

  /** Rotation: a new signing key; the previous ones keep verifying the tickets already issued. */
  async rotate(eventId: string): Promise<TicketKeyDoc[]> {
    await this.store.ticketKeys.insert(this.newKey(eventId));
    return this.publicKeys(eventId);
  }

  async publicKeys(eventId: string): Promise<TicketKeyDoc[]> {
    return (await this.store.ticketKeys.listForEvent(eventId)).map(toTicketKeyDoc);
  }

  /** The newest unretired key signs; an event without one (its key write was lost) gets one now. */
  private async signingKey(eventId: string): Promise<TicketKeyRow> {
    const newest = await this.store.ticketKeys.signingKey(eventId);
    if (newest) return newest;
    if (!(await this.store.events.findById(eventId))) throw new GatehouseError('NOT_FOUND', 'Event not found');
    return this.store.ticketKeys.insert(this.newKey(eventId));
  }

  /** A signed token for the booking, valid through the event's window (seconds, UTC). */
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
