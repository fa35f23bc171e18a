import { describe, expect, it } from 'vitest';
import { safeEncode } from 'zod/v4/core';
import { pullResponseSchema, type PullResponse } from '../src/sync';

/**
 * The change log keeps every doc as it was written, so a pull answers docs logged by older server
 * code beside new ones: the answer's schema (checked by the server in development and tests, and by
 * every device) must accept a doc without the fields added since. An upgraded demo store failed
 * every pull on its events until `allowReentry` was optional.
 */
describe('pull answers: docs logged before newer fields existed', () => {
  const eventLoggedBeforeReentryRule = {
    id: 'ev-1',
    title: 'Harbour Lights',
    description: '',
    venue: 'Pier 4',
    startsAt: '2026-06-01T18:00:00.000Z',
    endsAt: '2026-06-01T22:00:00.000Z',
    timezone: 'Europe/Berlin',
    capacity: 100,
    status: 'published',
    ticketTypes: [{ id: 'tt-1', name: 'Standard', price: 0, quota: 100, sold: 0 }],
    organizerId: 'org-1',
    staffIds: [],
    bookedCount: 0,
    createdAt: '2026-05-01T10:00:00.000Z',
    updatedAt: '2026-05-01T10:00:00.000Z',
  };
  const checkinLoggedBeforeVoids = {
    id: 'c-1',
    eventId: 'ev-1',
    bookingId: 'b-1',
    gate: 'North',
    direction: 'in',
    scannedAt: '2026-06-01T18:05:00.000Z',
    deviceId: 'd-1',
    staffId: 's-1',
    hlc: '001780000000000:00000:d',
    receivedAt: '2026-06-01T18:05:01.000Z',
  };

  it('an event without allowReentry and a check-in without voids pass, read as the door always did', () => {
    const answer = {
      changes: [
        { bucket: 'event:ev-1', seq: 1, type: 'event', id: 'ev-1', rev: 1, doc: eventLoggedBeforeReentryRule },
        { bucket: 'event:ev-1', seq: 2, type: 'checkin', id: 'c-1', rev: 1, doc: checkinLoggedBeforeVoids },
      ],
      cursor: 'c',
      hasMore: false,
      bucketsAdded: [],
      bucketsRemoved: [],
    };
    // How the server serializes a checked answer (fastify-type-provider-zod: encode, where no default applies).
    expect(safeEncode(pullResponseSchema, answer as unknown as PullResponse).error).toBeUndefined();
    const page = pullResponseSchema.parse(answer);
    const event = page.changes[0]!.doc as { allowReentry?: boolean };
    expect(event.allowReentry).toBeUndefined();
    expect(event.allowReentry !== false).toBe(true);
  });
});
