import type { RefusalRow } from '../rows';
import type { After } from './shared';

export interface RefusalRepository {
  /**
   * Records one refused scan (rev 1, logged to its event's bucket). Idempotent on the id: the same
   * refusal again is `repeated`; another under that id is CONFLICT.
   */
  record(row: Omit<RefusalRow, 'rev'>): Promise<{ row: RefusalRow; repeated: boolean }>;
  /** Newest first by HLC, at most `limit`. */
  listForEvent(eventId: string, limit: number): Promise<RefusalRow[]>;
  /** As CheckinRepository.pageForEvent: (hlc, id) ascending after `after`, up to `limit + 1` rows. */
  pageForEvent(eventId: string, after: After<string> | undefined, limit: number): Promise<RefusalRow[]>;
}
