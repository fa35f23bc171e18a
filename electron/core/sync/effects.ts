import {
  acknowledgementWins,
  type Alert,
  bookingCodeFor,
  type Booking,
  type Checkin,
  type Event,
  type MutationArgs,
  type MutationName,
  type Refusal,
  type TicketType,
} from '@gatehouse/protocol';
import type { Doc, SyncedTable } from '../db/rows';

/** What a mutation needs beyond its args to replay identically: who, where and when it happened. */
export type MutationMeta = {
  userId: string;
  deviceId: string;
  at: string;
  overCapacity?: boolean;
  /** The person's name, shown with what they did until the server's copy arrives (`alert.acknowledge`). */
  userName?: string;
};

export type PendingMutation = { id: string; name: MutationName; args: unknown; hlc: string; meta: MutationMeta };

/** The one row each mutation changes locally (its outbox target). */
export function targetOf(name: MutationName, args: unknown): { table: SyncedTable; id: string } {
  switch (name) {
    case 'checkin.record':
      return { table: 'checkins', id: (args as MutationArgs<'checkin.record'>).id };
    case 'checkin.void':
      return { table: 'checkins', id: (args as MutationArgs<'checkin.void'>).id };
    case 'scan.refuse':
      return { table: 'refusals', id: (args as MutationArgs<'scan.refuse'>).id };
    case 'booking.walkIn':
      return { table: 'bookings', id: (args as MutationArgs<'booking.walkIn'>).bookingId };
    case 'booking.cancel':
      return { table: 'bookings', id: (args as MutationArgs<'booking.cancel'>).bookingId };
    case 'event.update':
      return { table: 'events', id: (args as MutationArgs<'event.update'>).eventId };
    case 'alert.acknowledge':
      return { table: 'alerts', id: (args as MutationArgs<'alert.acknowledge'>).alertId };
  }
}

/** A walk-in's code, as the server will store it (protocol's bookingCodeFor), shown before any sync. */
export function provisionalCode(bookingId: string): string {
  return bookingCodeFor(bookingId) ?? bookingId.replace(/-/g, '').slice(0, 8).toUpperCase();
}

function mergeTicketTypes(
  current: TicketType[],
  patch: NonNullable<MutationArgs<'event.update'>['patch']['ticketTypes']>,
) {
  return patch.map((input, index) => {
    const existing = input.id ? current.find((type) => type.id === input.id) : undefined;
    return {
      id: input.id ?? `pending-${index}`,
      name: input.name,
      price: input.price,
      quota: input.quota,
      sold: existing?.sold ?? 0,
      ...(input.requiresPhoto ? { requiresPhoto: true } : {}),
    };
  });
}

/**
 * A mutation's local effect as a pure function of the row's current doc. Pure so that it can be
 * replayed on top of each new server version of the row while the mutation is still unsent, and
 * dropped (by rebuilding from the server version) when the server rejects it.
 */
export function applyEffect(mutation: PendingMutation, current: Doc | null): Doc | null {
  const { meta } = mutation;
  switch (mutation.name) {
    case 'checkin.record': {
      if (current) return current; // the server's copy of our own check-in wins
      const args = mutation.args as MutationArgs<'checkin.record'>;
      const checkin: Checkin = {
        ...args,
        deviceId: meta.deviceId,
        staffId: meta.userId,
        hlc: mutation.hlc,
        receivedAt: args.scannedAt,
      };
      return checkin;
    }
    case 'checkin.void': {
      if (current) return current;
      const args = mutation.args as MutationArgs<'checkin.void'>;
      const undo: Checkin = {
        id: args.id,
        eventId: args.eventId,
        bookingId: args.bookingId,
        gate: args.gate,
        direction: 'void',
        voids: args.checkinId,
        scannedAt: args.voidedAt,
        deviceId: meta.deviceId,
        staffId: meta.userId,
        hlc: mutation.hlc,
        receivedAt: args.voidedAt,
      };
      return undo;
    }
    case 'scan.refuse': {
      if (current) return current;
      const args = mutation.args as MutationArgs<'scan.refuse'>;
      const refusal: Refusal = {
        ...args,
        deviceId: meta.deviceId,
        staffId: meta.userId,
        hlc: mutation.hlc,
        receivedAt: args.scannedAt,
      };
      return refusal;
    }
    case 'booking.walkIn': {
      if (current) return current;
      const args = mutation.args as MutationArgs<'booking.walkIn'>;
      const booking: Booking = {
        id: args.bookingId,
        eventId: args.eventId,
        userId: meta.userId,
        ticketTypeId: args.ticketTypeId,
        quantity: 1,
        attendee: args.attendee,
        status: 'confirmed',
        source: 'walkIn',
        overCapacity: meta.overCapacity ?? false,
        code: provisionalCode(args.bookingId),
        createdAt: meta.at,
        cancelledAt: null,
      };
      return booking;
    }
    case 'booking.cancel': {
      if (!current || current.status === 'cancelled') return current;
      return { ...current, status: 'cancelled', cancelledAt: meta.at };
    }
    case 'event.update': {
      if (!current) return current;
      const { patch } = mutation.args as MutationArgs<'event.update'>;
      const event = current as Event;
      const { ticketTypes, ...fields } = patch;
      return {
        ...event,
        ...fields,
        ...(ticketTypes ? { ticketTypes: mergeTicketTypes(event.ticketTypes, ticketTypes) } : {}),
        updatedAt: meta.at,
      };
    }
    case 'alert.acknowledge': {
      // The server's rule, replayed on each server version of the alert while this is unsent: the
      // first acknowledgement by HLC stands, so an earlier one synced meanwhile is left showing.
      if (!current) return current;
      const args = mutation.args as MutationArgs<'alert.acknowledge'>;
      const alert = current as Alert;
      if (!acknowledgementWins({ hlc: mutation.hlc, id: args.id }, alert.acknowledgement)) return current;
      return {
        ...alert,
        acknowledgement: {
          id: args.id,
          userId: meta.userId,
          userName: meta.userName ?? '',
          acknowledgedAt: args.acknowledgedAt,
          hlc: mutation.hlc,
          note: args.note ?? null,
        },
      };
    }
  }
}
