import type { Alert, Booking, Event } from '@gatehouse/protocol';
import { describe, expect, it } from 'vitest';
import { applyEffect, type PendingMutation, provisionalCode } from '../sync/effects';

const meta = { userId: 'steward-1', deviceId: 'gate-a', at: '2027-05-01T18:00:00.000Z' };
const BOOKING_ID = '0190a5b2-7c4e-7d3f-8a1b-2c3d4e5f6a7b';

function mutation(
  name: PendingMutation['name'],
  args: unknown,
  extra: Partial<PendingMutation['meta']> = {},
): PendingMutation {
  return { id: 'm1', name, args, hlc: '0000001746122400000:0000:gate-a', meta: { ...meta, ...extra } };
}

const event: Event = {
  id: 'ev1',
  title: 'Harbour Lights',
  description: '',
  venue: 'Pier 4',
  startsAt: '2027-05-01T17:00:00.000Z',
  endsAt: '2027-05-01T23:00:00.000Z',
  timezone: 'Europe/Berlin',
  capacity: 100,
  status: 'published',
  organizerId: 'org-1',
  staffIds: [],
  ticketTypes: [{ id: 'tt1', name: 'Standard', price: 1500, quota: 80, sold: 12 }],
  bookedCount: 12,
  createdAt: '2027-01-01T00:00:00.000Z',
  updatedAt: '2027-01-01T00:00:00.000Z',
} as unknown as Event;

describe('applyEffect: a mutation’s local effect, replayable on each new server version of its row', () => {
  it('a check-in becomes the device’s own copy, stamped by who and where; the server’s copy wins once it exists', () => {
    const args = {
      id: 'c1',
      eventId: 'ev1',
      bookingId: BOOKING_ID,
      gate: 'North',
      direction: 'in',
      scannedAt: meta.at,
    };
    const local = applyEffect(mutation('checkin.record', args), null);
    expect(local).toEqual({
      ...args,
      deviceId: 'gate-a',
      staffId: 'steward-1',
      hlc: mutation('checkin.record', args).hlc,
      receivedAt: meta.at,
    });
    const fromServer = { ...local, receivedAt: '2027-05-01T18:00:03.000Z', rev: 1 };
    expect(applyEffect(mutation('checkin.record', args), fromServer)).toBe(fromServer);
  });

  it('a walk-in is a confirmed booking with the code the server will give it, flagged when over capacity', () => {
    const args = { bookingId: BOOKING_ID, eventId: 'ev1', ticketTypeId: 'tt1', attendee: { name: 'Wanda' } };
    const booking = applyEffect(mutation('booking.walkIn', args, { overCapacity: true }), null) as Booking;
    expect(booking).toMatchObject({
      id: BOOKING_ID,
      status: 'confirmed',
      source: 'walkIn',
      overCapacity: true,
      code: provisionalCode(BOOKING_ID),
      createdAt: meta.at,
      quantity: 1,
    });
    expect(booking.code).toMatch(/^[A-Z0-9]{4,}/);
    expect((applyEffect(mutation('booking.walkIn', args), null) as Booking).overCapacity).toBe(false);
  });

  it('a cancel marks the booking cancelled once; a missing or already cancelled booking is left as it is', () => {
    const confirmed = { id: BOOKING_ID, status: 'confirmed', cancelledAt: null };
    expect(applyEffect(mutation('booking.cancel', { bookingId: BOOKING_ID }), confirmed)).toEqual({
      ...confirmed,
      status: 'cancelled',
      cancelledAt: meta.at,
    });
    const cancelled = { ...confirmed, status: 'cancelled', cancelledAt: '2027-04-01T00:00:00.000Z' };
    expect(applyEffect(mutation('booking.cancel', { bookingId: BOOKING_ID }), cancelled)).toBe(cancelled);
    expect(applyEffect(mutation('booking.cancel', { bookingId: BOOKING_ID }), null)).toBeNull();
  });

  it('an event edit sets its fields; ticket types keep what was sold, and new ones get a pending id', () => {
    const patch = {
      title: 'Harbour Lights II',
      ticketTypes: [
        { id: 'tt1', name: 'Standard', price: 1800, quota: 90 },
        { name: 'VIP', price: 5000, quota: 10 },
      ],
    };
    const edited = applyEffect(mutation('event.update', { eventId: 'ev1', patch }), event as never) as Event;
    expect(edited).toMatchObject({ title: 'Harbour Lights II', venue: 'Pier 4', updatedAt: meta.at });
    expect(edited.ticketTypes).toEqual([
      { id: 'tt1', name: 'Standard', price: 1800, quota: 90, sold: 12 },
      { id: 'pending-1', name: 'VIP', price: 5000, quota: 10, sold: 0 },
    ]);
    expect(applyEffect(mutation('event.update', { eventId: 'ev1', patch }), null)).toBeNull();
  });
  it('an acknowledgement marks the alert by who and when, unless an earlier one (by HLC) is on it already', () => {
    const alert = {
      id: 'dup-c2',
      eventId: 'ev1',
      kind: 'duplicateEntry',
      bookingId: BOOKING_ID,
      checkinId: 'c2',
      firstCheckinId: 'c1',
      message: 'Ticket entered again',
      createdAt: meta.at,
    } as Alert;
    const args = { id: 'k1', alertId: 'dup-c2', eventId: 'ev1', acknowledgedAt: meta.at };
    const ack = mutation('alert.acknowledge', args, { userName: 'Sam Steward' });
    expect(applyEffect(ack, alert)).toEqual({
      ...alert,
      acknowledgement: {
        id: 'k1',
        userId: 'steward-1',
        userName: 'Sam Steward',
        acknowledgedAt: meta.at,
        hlc: ack.hlc,
        note: null,
      },
    });
    // The server's copy came back with another steward's earlier acknowledgement: it stays.
    const byOther = { userId: 'steward-2', userName: 'Kim', acknowledgedAt: meta.at, note: null };
    const earlier: Alert = {
      ...alert,
      acknowledgement: { ...byOther, id: 'k0', hlc: '0000001746122399999:0000:gate-b' },
    };
    expect(applyEffect(ack, earlier)).toBe(earlier);
    // A later one is replaced by ours; an alert not (or no longer) here stays absent.
    const later = {
      ...alert,
      acknowledgement: { ...byOther, id: 'k9', hlc: '0000001746122400001:0000:gate-b' },
    };
    expect((applyEffect(ack, later) as Alert).acknowledgement?.id).toBe('k1');
    expect(applyEffect(ack, null)).toBeNull();
  });
});
