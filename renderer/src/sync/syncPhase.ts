import type { SyncPhase, SyncStatus } from '@gatehouse/protocol';

export type PhaseNotice = {
  phase: Exclude<SyncPhase, 'ready'>;
  tone: 'warning' | 'ok';
  /** One line for the check-in screen and the sync screen. */
  text: string;
  /** What the progress bar counts, or null when there is no count yet. */
  progress: { label: string; done: number; total: number } | null;
};

function count(n: number): string {
  return n.toLocaleString();
}

/**
 * Where the device is in getting the account's data, in plain words (protocol's SyncPhase); null once
 * everything works. A first sync downloads the events, their ticket keys and bookings (`syncing`),
 * then the device can scan while it builds its search index (`readyToScan`, `indexing`).
 */
export function phaseNotice(status: SyncStatus | null): PhaseNotice | null {
  const phase = status?.phase;
  if (!status || !phase || phase === 'ready') return null;
  if (phase === 'syncing') {
    const progress = status.progress;
    return {
      phase,
      tone: 'warning',
      text: 'Downloading events and bookings — signed tickets are admitted on their signature meanwhile; typed codes and name search need the download.',
      progress: progress
        ? {
            label: `Downloaded ${count(progress.done)} of about ${count(progress.total)}`,
            done: progress.done,
            total: progress.total,
          }
        : null,
    };
  }
  const index = status.indexProgress;
  return {
    phase,
    tone: 'ok',
    text: 'Ready to scan — search available in a moment.',
    progress: index
      ? {
          label: `Search index: ${count(index.done)} of ${count(index.total)} bookings`,
          done: index.done,
          total: index.total,
        }
      : null,
  };
}
