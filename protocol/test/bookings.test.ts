import { describe, expect, it } from 'vitest';
import { bookingCodeFor } from '../src/bookings';

describe('bookingCodeFor: the walk-in code device and server both derive', () => {
  it('is 8 Crockford characters from the UUID, the same every time, and null for a non-UUID', () => {
    const code = bookingCodeFor('0425857d-1c2e-4f00-8a00-000000000000');
    expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{8}$/);
    expect(bookingCodeFor('0425857D-1C2E-4F00-8A00-FFFFFFFFFFFF')).toBe(code);
    expect(bookingCodeFor('ffffffff-ff00-4000-8000-000000000000')).toBe('ZZZZZZZZ');
    expect(bookingCodeFor('00000000-0000-4000-8000-000000000000')).toBe('00000000');
    expect(bookingCodeFor('walk-in-1')).toBeNull();
  });
});
