import { describe, expect, it } from 'vitest';
import { formatEventRange } from './format';

describe('formatEventRange', () => {
  it('names the zone at both ends across a clock change, once otherwise', () => {
    const across = formatEventRange('2027-10-31T02:30:00+02:00', '2027-10-31T02:45:00+01:00', 'Europe/Berlin');
    const within = formatEventRange('2027-10-30T19:00:00+02:00', '2027-10-30T23:00:00+02:00', 'Europe/Berlin');
    // The runtime's locale decides the words; the zones show as abbreviations or offsets.
    const zones = (text: string) => text.match(/\b(CES?T|GMT[+-]\d+|UTC[+-]\d+|MES?Z)\b/g) ?? [];
    expect(zones(across)).toHaveLength(2);
    expect(new Set(zones(across)).size).toBe(2);
    expect(zones(within)).toHaveLength(1);
  });

  it('falls back to two plain times for a zone Intl does not know', () => {
    expect(formatEventRange('2027-01-01T10:00:00Z', '2027-01-01T11:00:00Z', 'Mars/Olympus')).toContain('–');
  });
});
