import type { Event } from '@gatehouse/protocol';
import { describe, expect, it } from 'vitest';
import { atTheDoorNow } from './EventPicker';

const HOUR = 3_600_000;
const event = (status: Event['status'], endsInHours: number): Event =>
  ({ status, endsAt: new Date(Date.parse('2026-06-01T20:00:00Z') + endsInHours * HOUR).toISOString() }) as Event;

describe("the steward's event picker", () => {
  const now = Date.parse('2026-06-01T20:00:00Z');
  it('offers events still running or within the door’s grace after their end, never cancelled ones', () => {
    expect(atTheDoorNow(event('published', 2), now)).toBe(true);
    expect(atTheDoorNow(event('published', -5), now)).toBe(true);
    expect(atTheDoorNow(event('published', -7), now)).toBe(false);
    expect(atTheDoorNow(event('cancelled', 2), now)).toBe(false);
  });
});
