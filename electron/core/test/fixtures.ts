import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  type Booking,
  type Change,
  type Event,
  generateTicketKeyPair,
  signTicket,
  type TicketKeyPair,
} from '@gatehouse/protocol';
import { Scanner } from '../checkins/scan';
import { AccountStore } from '../store';

export function tempDir(prefix = 'gatehouse-core-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export const DEVICE_ID = '2b0f0d3e-7a57-4d51-9f43-2b6f1f1a9a01';
export const USER_ID = 'staff-1';

export function openTempStore(dir = tempDir()): AccountStore {
  return AccountStore.open(path.join(dir, 'gatehouse.db'), DEVICE_ID, Date.now);
}

export function eventDoc(id: string, overrides: Partial<Event> = {}): Event {
  const now = Date.now();
  return {
    id,
    title: `Event ${id}`,
    description: '',
    venue: 'Hall',
    startsAt: new Date(now - 3600_000).toISOString(),
    endsAt: new Date(now + 3 * 3600_000).toISOString(),
    timezone: 'Europe/Berlin',
    capacity: 1_000_000,
    status: 'published',
    ticketTypes: [{ id: 'tt-general', name: 'General', price: 1000, quota: 1_000_000, sold: 0 }],
    allowReentry: true,
    organizerId: 'org-1',
    staffIds: [USER_ID],
    bookedCount: 0,
    createdAt: new Date(now).toISOString(),
    updatedAt: new Date(now).toISOString(),
    ...overrides,
  };
}

export function bookingDoc(eventId: string, index: number, overrides: Partial<Booking> = {}): Booking {
  return {
    id: `${eventId}-b${index}`,
    eventId,
    userId: `attendee-${index}`,
    ticketTypeId: 'tt-general',
    quantity: 1,
    attendee: { name: `Guest ${String(index).padStart(6, '0')}`, email: `guest${index}@example.test` },
    status: 'confirmed',
    source: 'online',
    overCapacity: false,
    code: `C${String(index).padStart(7, '0')}`,
    createdAt: new Date(Date.UTC(2026, 0, 1) + index).toISOString(),
    cancelledAt: null,
    ...overrides,
  };
}

export function keyChange(eventId: string, pair: TicketKeyPair, seq: number): Change {
  return {
    bucket: `event:${eventId}`,
    seq,
    type: 'ticketKey',
    id: `${eventId}-${pair.kid}`,
    rev: 1,
    doc: {
      id: `${eventId}-${pair.kid}`,
      eventId,
      kid: pair.kid,
      publicKey: pair.publicKey,
      createdAt: new Date().toISOString(),
      retiredAt: null,
    },
  };
}

export function page(
  changes: Change[],
  extra: { bucketsAdded?: string[]; bucketsRemoved?: string[]; hasMore?: boolean } = {},
) {
  return {
    changes,
    cursor: `c${changes.length}-${Math.random()}`,
    hasMore: extra.hasMore ?? false,
    bucketsAdded: extra.bucketsAdded ?? [],
    bucketsRemoved: extra.bucketsRemoved ?? [],
  };
}

/** Loads an event with `count` bookings and one signing key into the store, like an initial sync. */
export function seedEvent(store: AccountStore, eventId: string, count: number): { keys: TicketKeyPair } {
  const keys = generateTicketKeyPair();
  const changes: Change[] = [
    { bucket: `event:${eventId}`, seq: 1, type: 'event', id: eventId, rev: 1, doc: eventDoc(eventId) },
    keyChange(eventId, keys, 2),
  ];
  for (let i = 0; i < count; i++) {
    changes.push({
      bucket: `event:${eventId}`,
      seq: i + 3,
      type: 'booking',
      id: `${eventId}-b${i}`,
      rev: 1,
      doc: bookingDoc(eventId, i),
    });
  }
  store.applyPullPage(page(changes, { bucketsAdded: [`event:${eventId}`] }));
  return { keys };
}

export function ticketFor(
  eventId: string,
  bookingId: string,
  keys: TicketKeyPair,
  window?: { from: number; until: number },
) {
  const now = Math.floor(Date.now() / 1000);
  return signTicket(
    {
      kid: keys.kid,
      eventId,
      bookingId,
      ticketTypeId: 'tt-general',
      validFrom: window?.from ?? now - 3600,
      validUntil: window?.until ?? now + 3600,
    },
    keys.privateKey,
  );
}

/** The device's door on `store`, writing as the test user on the test device (what Account wires up). */
export function scannerOf(store: AccountStore): Scanner {
  const meta = () => ({ userId: USER_ID, deviceId: DEVICE_ID, at: new Date().toISOString() });
  return new Scanner(store, {
    trustedNow: Date.now,
    record: (args) => store.mutate('checkin.record', args, meta()),
    refuse: (args) => store.mutate('scan.refuse', args, meta()),
  });
}
