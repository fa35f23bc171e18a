import { describe, expect, it } from 'vitest';
import { formatTimeRange } from '../src/time-range';

const gb = (startsAt: string, endsAt: string, timeZone: string) =>
  formatTimeRange(startsAt, endsAt, timeZone, { locale: 'en-GB' });

describe('formatTimeRange', () => {
  it('keeps the short form, one zone, when both ends have the same offset', () => {
    expect(gb('2026-12-12T19:00:00+01:00', '2026-12-12T23:00:00+01:00', 'Europe/Berlin')).toBe(
      'Saturday, 12 December 2026, 19:00–23:00 CET',
    );
  });

  it('names each zone across the Berlin clock change: 02:30 CEST to 02:45 CET is 75 minutes', () => {
    expect(gb('2027-10-31T02:30:00+02:00', '2027-10-31T02:45:00+01:00', 'Europe/Berlin')).toBe(
      'Sunday, 31 October 2027 at 02:30 CEST – 02:45 CET',
    );
    // The same wall times 15 minutes apart, both before the change: one zone.
    expect(gb('2027-10-31T02:30:00+02:00', '2027-10-31T02:45:00+02:00', 'Europe/Berlin')).toBe(
      'Sunday, 31 October 2027, 02:30–02:45 CEST',
    );
  });

  it('names each zone in New York (EDT → EST) and Sydney (AEDT → AEST), in words or offsets as the locale has them', () => {
    expect(
      formatTimeRange('2027-11-07T01:30:00-04:00', '2027-11-07T01:45:00-05:00', 'America/New_York', {
        locale: 'en-US',
      }),
    ).toBe('Sunday, November 7, 2027 at 01:30 AM EDT – 01:45 AM EST');
    expect(gb('2027-11-07T01:30:00-04:00', '2027-11-07T01:45:00-05:00', 'America/New_York')).toBe(
      'Sunday, 7 November 2027 at 01:30 GMT-4 – 01:45 GMT-5',
    );
    expect(
      formatTimeRange('2027-04-04T02:30:00+11:00', '2027-04-04T02:45:00+10:00', 'Australia/Sydney', {
        locale: 'en-AU',
      }),
    ).toBe('Sunday 4 April 2027 at 02:30 am AEDT – 02:45 am AEST');
  });

  it('repeats the date when the ends fall on different days, and follows the fields asked for', () => {
    expect(gb('2027-10-30T19:00:00+02:00', '2027-10-31T02:45:00+01:00', 'Europe/Berlin')).toBe(
      'Saturday, 30 October 2027 at 19:00 CEST – Sunday, 31 October 2027 at 02:45 CET',
    );
    const fields = { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' } as const;
    expect(
      formatTimeRange('2027-10-31T02:30:00+02:00', '2027-10-31T02:45:00+01:00', 'Europe/Berlin', {
        locale: 'en-GB',
        fields,
      }),
    ).toBe('31 Oct 2027, 02:30 CEST – 02:45 CET');
  });

  it('refuses an unknown zone as Intl does', () => {
    expect(() => gb('2027-01-01T00:00:00Z', '2027-01-01T01:00:00Z', 'Mars/Olympus')).toThrow(RangeError);
  });
});
