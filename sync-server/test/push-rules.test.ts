import { randomUUID } from 'node:crypto';
import type { GatehouseError } from '@gatehouse/protocol';
import { formatHlc, MAX_PUSH_BATCH } from '@gatehouse/protocol';
import { describe, expect, it } from 'vitest';
import { deriveCheckinAlerts } from '../src/checkins/service';
import type { MutationWork } from '../src/store/port';
import { commutingRuns } from '../src/store/mongodb/ledger';
import { clockOffsetOf, readBatch } from '../src/sync/push';

const hlcAt = (wallMs: number, node = 'dev') => formatHlc({ wallMs, counter: 0, node });

function work(kind: 'checkin' | 'reject' | 'walkIn' | 'cancel', bookingId = 'b1'): MutationWork {
  const claim = { id: randomUUID(), userId: 'u', deviceId: 'd', name: 'x', argsHash: 'h', hlc: hlcAt(1) };
  if (kind === 'reject')
    return { claim, apply: { kind: 'reject', result: { status: 'rejected', code: 'FORBIDDEN', message: 'no' } } };
  if (kind === 'cancel') return { claim, apply: { kind: 'cancelBooking', bookingId, at: 'now', mailFor: () => [] } };
  if (kind === 'walkIn') return { claim, apply: { kind: 'book', input: {} as never } };
  const row = {
    id: randomUUID(),
    eventId: 'e',
    bookingId,
    gate: 'A',
    direction: 'in' as const,
    scannedAt: 'now',
    deviceId: 'd',
    staffId: 'u',
    hlc: hlcAt(1),
    receivedAt: 'now',
  };
  return { claim, apply: { kind: 'recordCheckIn', row, deriveAlerts: deriveCheckinAlerts } };
}

describe('clockOffsetOf: a device clock against the server clock, from its newest HLC', () => {
  it('is the newest wall time in the batch minus now, in ms', () => {
    const batch = [{ hlc: hlcAt(1_000) }, { hlc: hlcAt(5_000) }, { hlc: hlcAt(3_000) }];
    expect(clockOffsetOf(batch, 2_000)).toBe(3_000);
    expect(clockOffsetOf(batch, 9_000)).toBe(-4_000);
  });
  it('ignores what is not an HLC, and knows nothing from a batch without one', () => {
    expect(clockOffsetOf([{ hlc: 'yesterday' }, { hlc: hlcAt(4_000) }, null, 7], 1_000)).toBe(3_000);
    expect(clockOffsetOf([{ hlc: 'yesterday' }, {}], 1_000)).toBeUndefined();
  });
});

describe('readBatch: what refuses a push as a whole', () => {
  it(`more than ${MAX_PUSH_BATCH} mutations is BATCH_TOO_LARGE, before their ids are looked at`, () => {
    const tooMany = Array.from({ length: MAX_PUSH_BATCH + 1 }, () => ({}));
    expect(() => readBatch(tooMany)).toThrow(expect.objectContaining({ code: 'BATCH_TOO_LARGE' }));
  });
  it('a mutation without a UUID id cannot be answered by id: VALIDATION_FAILED naming it', () => {
    const error = (() => {
      try {
        readBatch([{ id: randomUUID() }, { id: 'not-a-uuid' }]);
      } catch (caught) {
        return caught as GatehouseError;
      }
      return null;
    })();
    expect(error).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ path: 'body.mutations.1.id' }] });
  });
  it('anything else is answered per mutation: the batch passes through as it came', () => {
    const batch = [
      { id: randomUUID(), name: 'nonsense' },
      { id: randomUUID(), args: null },
    ];
    expect(readBatch(batch)).toBe(batch);
  });
});

describe('commutingRuns: which mutations of a push the MongoDB ledger may apply side by side', () => {
  it('check-ins and rejections run together; a walk-in or a cancel waits for all before it, alone', () => {
    const batch = [work('checkin'), work('reject'), work('checkin'), work('walkIn'), work('checkin'), work('cancel')];
    expect(commutingRuns(batch)).toEqual([[0, 1, 2], [3], [4], [5]]);
  });
  it('keeps batch order, and an empty batch has no runs', () => {
    expect(commutingRuns([work('cancel'), work('cancel')])).toEqual([[0], [1]]);
    expect(commutingRuns([])).toEqual([]);
  });
});
