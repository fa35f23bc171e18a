import { uuidSchema } from '@gatehouse/protocol';
import { describe, expect, it } from 'vitest';
import { newRowId } from '../sync/ids';

describe('newRowId', () => {
  it('makes UUIDs the server accepts, each later one sorting after the earlier ones', async () => {
    const first = Array.from({ length: 50 }, newRowId);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const later = Array.from({ length: 50 }, newRowId);
    for (const id of [...first, ...later]) expect(uuidSchema.safeParse(id).success).toBe(true);
    expect(new Set([...first, ...later]).size).toBe(100);
    // The server's b-trees are keyed by these ids: time order is what keeps its writes local.
    const maxFirst = [...first].sort().at(-1)!;
    for (const id of later) expect(id > maxFirst).toBe(true);
  });
});
