import { LEGACY_MAX_PUSH_BATCH, MAX_PUSH_BATCH } from '@gatehouse/protocol';
import { describe, expect, it } from 'vitest';
import { PushBatchSizer } from '../sync/batch-size';

describe('PushBatchSizer', () => {
  it('grows to the protocol maximum while full batches are answered quickly, by the rate they show', () => {
    const sizer = new PushBatchSizer();
    const sizes = [sizer.next];
    for (let i = 0; i < 3; i++) {
      sizer.answered(100, sizer.next);
      sizes.push(sizer.next);
    }
    // 500 in 100 ms: a second's worth is 5,000, capped.
    expect(sizes).toEqual([LEGACY_MAX_PUSH_BATCH, MAX_PUSH_BATCH, MAX_PUSH_BATCH, MAX_PUSH_BATCH]);
    expect(MAX_PUSH_BATCH).toBe(2000);
  });

  it('starts at the old limit: a backlog fills its first push with what every server accepts', () => {
    // One round trip fewer for a backlog of thousands than starting at 100; never a 413 first.
    expect(new PushBatchSizer().next).toBe(LEGACY_MAX_PUSH_BATCH);
    expect(LEGACY_MAX_PUSH_BATCH).toBe(500);
  });

  it('starts at the limit the server states, capped by what this device sends', () => {
    const sizer = new PushBatchSizer();
    sizer.serverLimit(MAX_PUSH_BATCH);
    expect(sizer.next).toBe(MAX_PUSH_BATCH);
    sizer.serverLimit(1_000); // a server that takes fewer
    expect(sizer.next).toBe(1_000);
    sizer.answered(10, 1_000);
    expect(sizer.next).toBe(1_000);
    sizer.serverLimit(50_000); // a newer one that takes more: never past what this protocol sends
    expect(sizer.next).toBe(MAX_PUSH_BATCH);
    sizer.serverLimit(null); // none stated any more (a server rolled back): what every server takes
    expect(sizer.next).toBe(LEGACY_MAX_PUSH_BATCH);
    sizer.serverLimit(null);
    sizer.answered(100, LEGACY_MAX_PUSH_BATCH); // then grown by quick answers, as before the header
    sizer.serverLimit(null);
    expect(sizer.next).toBe(MAX_PUSH_BATCH);
  });

  it('after a timeout or a 413, a stated limit only caps the size: it grows back by quick answers', () => {
    const timedOut = new PushBatchSizer();
    timedOut.serverLimit(MAX_PUSH_BATCH);
    timedOut.timedOut();
    timedOut.serverLimit(MAX_PUSH_BATCH);
    expect(timedOut.next).toBe(MAX_PUSH_BATCH / 2);
    timedOut.answered(100, timedOut.next);
    expect(timedOut.next).toBe(MAX_PUSH_BATCH);

    const refused = new PushBatchSizer();
    refused.serverLimit(MAX_PUSH_BATCH);
    refused.tooLarge(MAX_PUSH_BATCH);
    refused.serverLimit(MAX_PUSH_BATCH);
    expect(refused.next).toBe(LEGACY_MAX_PUSH_BATCH);
    refused.answered(10, refused.next);
    expect(refused.next).toBe(LEGACY_MAX_PUSH_BATCH);
  });

  it('at least doubles on a quick answer whose rate would not', () => {
    const sizer = new PushBatchSizer();
    sizer.timedOut(); // 250
    const sizes = [sizer.next];
    for (let i = 0; i < 3; i++) {
      sizer.answered(1_500, sizer.next);
      sizes.push(sizer.next);
    }
    expect(sizes).toEqual([250, 500, 1_000, 2_000]);
  });

  it('does not grow on a partial batch (the outbox ran dry) or a slow answer', () => {
    const sizer = new PushBatchSizer();
    sizer.answered(100, 3);
    sizer.answered(5_000, sizer.next);
    expect(sizer.next).toBe(LEGACY_MAX_PUSH_BATCH);
  });

  it('halves after a timeout, down to a floor, and recovers once answers are quick again', () => {
    const sizer = new PushBatchSizer();
    for (let i = 0; i < 10; i++) sizer.timedOut();
    expect(sizer.next).toBe(10);
    sizer.answered(1_000, 10);
    expect(sizer.next).toBe(20);
  });

  it('after a 413 (a server from before the limit grew) sends at most the old limit, growing back only to it', () => {
    const sizer = new PushBatchSizer();
    for (let i = 0; i < 2; i++) sizer.answered(100, sizer.next);
    expect(sizer.next).toBe(MAX_PUSH_BATCH);
    sizer.tooLarge(MAX_PUSH_BATCH);
    expect(sizer.next).toBe(LEGACY_MAX_PUSH_BATCH);
    for (let i = 0; i < 4; i++) sizer.answered(100, sizer.next);
    expect(sizer.next).toBe(LEGACY_MAX_PUSH_BATCH);
    sizer.tooLarge(40);
    expect(sizer.next).toBe(20);
  });
});
