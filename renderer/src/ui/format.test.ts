import { describe, expect, it } from 'vitest';
import {
  formatClock,
  formatDateTime,
  formatEventRange,
  fromZonedInputValue,
  parsePrice,
  toZonedInputValue,
} from './format';

describe('the one time formatter', () => {
  it('reads an instant on the event zone’s 24-hour clock, whatever the computer’s zone', () => {
    // 23:59 UTC is 18:59 in New York (EST) and 00:59 the next day in Berlin (CET).
    expect(formatClock('2026-01-15T23:59:00Z', 'America/New_York')).toBe('18:59');
    expect(formatClock('2026-01-15T23:59:00Z', 'Europe/Berlin')).toBe('00:59');
    const berlin = formatDateTime('2026-01-15T23:59:00Z', 'Europe/Berlin', { zone: true });
    expect(berlin).toMatch(/\b16\b/);
    expect(berlin).toMatch(/00:59 \(Europe\/Berlin\)$/);
  });

  it('takes a wall time typed for the event’s zone to the instant it names, either side of a DST change', () => {
    expect(fromZonedInputValue('2026-03-12T19:00', 'America/New_York')).toBe('2026-03-12T23:00:00.000Z'); // EDT
    expect(fromZonedInputValue('2026-03-07T19:00', 'America/New_York')).toBe('2026-03-08T00:00:00.000Z'); // EST
    expect(fromZonedInputValue('2026-10-25T01:30', 'Europe/Berlin')).toBe('2026-10-24T23:30:00.000Z');
    expect(fromZonedInputValue('2026-10-25T04:00', 'Europe/Berlin')).toBe('2026-10-25T03:00:00.000Z');
    expect(fromZonedInputValue('not a date', 'Europe/Berlin')).toBeNull();
    for (const iso of ['2026-03-12T23:00:00.000Z', '2026-11-01T05:30:00.000Z', '2026-07-01T12:00:00.000Z']) {
      for (const zone of ['America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe', 'UTC']) {
        expect(fromZonedInputValue(toZonedInputValue(iso, zone), zone), `${iso} in ${zone}`).toBe(iso);
      }
    }
  });

  it('reads prices typed in currency units into minor units, and refuses what is not an amount', () => {
    expect(parsePrice('12.50')).toBe(1250);
    expect(parsePrice('12,5')).toBe(1250);
    expect(parsePrice('0')).toBe(0);
    expect(parsePrice('19.99')).toBe(1999);
    expect(parsePrice('-1')).toBeNull();
    expect(parsePrice('1.234')).toBeNull();
    expect(parsePrice('')).toBeNull();
  });
});

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
