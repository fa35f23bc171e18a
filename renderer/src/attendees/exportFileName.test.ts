import { describe, expect, it } from 'vitest';
import { exportFileName } from './exportFileName';

describe('exportFileName', () => {
  it('names the event, the kind and the local day', () => {
    const on = new Date(2026, 11, 1, 23, 30);
    expect(exportFileName('Summer Gala', 'attendees', on)).toBe('summer-gala-attendees-2026-12-01.csv');
    expect(exportFileName('Jazz & Blues Night', 'checkins', on)).toBe('jazz-blues-night-checkins-2026-12-01.csv');
  });

  it('keeps only ASCII letters and digits of the title', () => {
    const on = new Date(2026, 0, 5);
    expect(exportFileName('Ødegaard Café ../../x', 'attendees', on)).toBe('degaard-cafe-x-attendees-2026-01-05.csv');
    expect(exportFileName('東京', 'attendees', on)).toBe('event-attendees-2026-01-05.csv');
    expect(exportFileName('a'.repeat(100), 'attendees', on)).toBe(`${'a'.repeat(60)}-attendees-2026-01-05.csv`);
  });
});
