import type { SyncStatus } from '@gatehouse/protocol';
import { describe, expect, it } from 'vitest';
import { phaseNotice } from './syncPhase';

const status = (overrides: Partial<SyncStatus>): SyncStatus => ({
  signedIn: true,
  online: true,
  liveConnected: true,
  pending: 0,
  lastSyncAt: null,
  lastError: null,
  updateNeeded: null,
  progress: null,
  phase: 'ready',
  indexProgress: null,
  rejected: [],
  clockSkewMs: null,
  ...overrides,
});

describe('the sync phase in plain words', () => {
  it('says nothing once the device is ready, or signed out', () => {
    expect(phaseNotice(null)).toBeNull();
    expect(phaseNotice(status({ phase: 'ready' }))).toBeNull();
    expect(phaseNotice(status({ signedIn: false, phase: null }))).toBeNull();
  });

  it('counts the download while syncing', () => {
    const notice = phaseNotice(status({ phase: 'syncing', progress: { done: 4000, total: 100_000 } }));
    expect(notice).toMatchObject({ phase: 'syncing', tone: 'warning', progress: { done: 4000, total: 100_000 } });
    expect(notice?.text).toMatch(/Downloading/);
  });

  it('is ready to scan while the search index is built, with its progress', () => {
    for (const phase of ['readyToScan', 'indexing'] as const) {
      const notice = phaseNotice(status({ phase, indexProgress: { done: 30_000, total: 100_000 } }));
      expect(notice).toMatchObject({ phase, tone: 'ok', text: 'Ready to scan — search available in a moment.' });
      expect(notice?.progress).toMatchObject({ done: 30_000, total: 100_000 });
    }
  });
});
