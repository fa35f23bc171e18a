import type { ShellStatus } from '@gatehouse/protocol';
import { describe, expect, it } from 'vitest';
import { shellNotices } from './shellStatus';

const healthy: ShellStatus = {
  tokenStorage: 'encrypted',
  tokenStorageReason: null,
  coreRestarts: 0,
  lastCoreRestartAt: null,
  coreDownReason: null,
};

describe('shellNotices', () => {
  it('says nothing in the browser host or when all is well', () => {
    expect(shellNotices(null)).toEqual([]);
    expect(shellNotices(healthy)).toEqual([]);
  });

  it('a core that is down is an error with its reason; one that came back is a warning with the count', () => {
    const down = shellNotices({ ...healthy, coreRestarts: 1, coreDownReason: 'exited with code 9' });
    expect(down).toEqual([expect.objectContaining({ tone: 'error', detail: 'exited with code 9' })]);
    const back = shellNotices({ ...healthy, coreRestarts: 2, lastCoreRestartAt: '2026-11-25T10:00:00Z' });
    expect(back).toEqual([expect.objectContaining({ tone: 'warning', text: expect.stringContaining('2×') })]);
  });

  it('sign-in kept in memory only is explained with the reason', () => {
    const notices = shellNotices({ ...healthy, tokenStorage: 'memoryOnly', tokenStorageReason: 'no keyring' });
    expect(notices).toEqual([expect.objectContaining({ tone: 'warning', detail: 'no keyring' })]);
  });
});
