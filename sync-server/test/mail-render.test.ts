import ICAL from 'ical.js';
import { describe, expect, it } from 'vitest';
import { buildIcs, escapeIcsText, foldLine } from '../src/mail/ics';
import { messageIdFor } from '../src/mail/outbox';
import { escapeHtml, formatEventTime, oneLine } from '../src/mail/text';
import { mailRetryMs } from '../src/mail/worker';

describe('iCalendar writer', () => {
  it('folds long lines at 75 octets without splitting a UTF-8 character, and unfolds to the original', () => {
    const line = `SUMMARY:${'Überraschungs-Konzert 🎉 '.repeat(8)}`;
    const folded = foldLine(line);
    for (const part of folded.split('\r\n')) expect(Buffer.byteLength(part, 'utf8')).toBeLessThanOrEqual(75);
    expect(
      folded
        .split('\r\n')
        .slice(1)
        .every((part) => part.startsWith(' ')),
    ).toBe(true);
    expect(folded.replace(/\r\n /g, '')).toBe(line);
    expect(folded).not.toContain('\uFFFD');
  });

  it('escapes TEXT values and round-trips them through a real parser', () => {
    expect(escapeIcsText('a\\b;c,d\r\ne')).toBe('a\\\\b\\;c\\,d\\ne');
    const summary = 'Gala; "Night", part\\2\nwith a line break and a long tail '.repeat(3);
    const ics = buildIcs({
      uid: 'ev-1@gatehouse',
      sequence: 7,
      stamp: new Date('2030-01-01T00:00:00Z'),
      start: new Date('2030-04-12T17:00:00Z'),
      end: new Date('2030-04-12T21:30:00Z'),
      summary,
      location: 'Hall A, Street 1',
      description: 'Bring\nthis',
      cancelled: true,
    });
    expect(ics.endsWith('\r\n')).toBe(true);
    expect(ics.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    const vevent = new ICAL.Event(new ICAL.Component(ICAL.parse(ics)).getFirstSubcomponent('vevent')!);
    expect(vevent.summary).toBe(summary);
    expect(vevent.description).toBe('Bring\nthis');
    expect(vevent.sequence).toBe(7);
    expect(vevent.startDate.toJSDate().toISOString()).toBe('2030-04-12T17:00:00.000Z');
    expect(vevent.component.getFirstPropertyValue('status')).toBe('CANCELLED');
  });
});

describe('text safety', () => {
  it('escapes HTML and flattens header text', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(oneLine('Eve\r\nBcc: x@y.z\u2028\tend')).toBe('Eve Bcc: x@y.z end');
    expect(oneLine('x'.repeat(300))).toHaveLength(200);
  });

  it('shows times in the event time zone', () => {
    const when = formatEventTime('2030-01-15T18:00:00Z', '2030-01-15T20:00:00Z', 'America/New_York');
    expect(when).toContain('13:00');
    expect(when).toContain('15:00');
  });

  it('derives a valid, stable Message-ID from an outbox id', () => {
    expect(messageIdFor('eventChanged:ev-1:3:abc', 'example.org')).toBe('<eventChanged.ev-1.3.abc@example.org>');
  });
});

describe('backoff', () => {
  it('grows exponentially with jitter and stays under the cap', () => {
    const settings = { retryBaseMs: 1_000, retryCapMs: 60_000 };
    for (let attempts = 1; attempts <= 12; attempts++) {
      const ceiling = Math.min(60_000, 1_000 * 2 ** (attempts - 1));
      for (let i = 0; i < 50; i++) {
        const delay = mailRetryMs(attempts, settings);
        expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
        expect(delay).toBeLessThanOrEqual(ceiling);
      }
    }
  });
});
