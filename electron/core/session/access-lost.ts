import path from 'node:path';
import type { ErrorCode } from '@gatehouse/protocol';
import type { Account } from '../account';
import type { AccountStore } from '../store';
import { writeUnsentExport } from './unsent';

/** Answers after which this device may not keep the account's data (#18: purge, outbox saved first). */
export const ACCESS_LOST_FOR_GOOD = new Set<ErrorCode>(['DEVICE_REVOKED', 'ACCOUNT_DISABLED']);

/**
 * Saves what the account's outbox still holds, and the changes the server refused, to a file of
 * unsent changes under `<dataDir>/unsent/` (an admin imports it), before the account's data is
 * wiped. Null when there was nothing to save; throws when the file cannot be written (the caller
 * then keeps the data).
 */
export function saveUnsentChanges(
  store: AccountStore,
  account: Account,
  context: { dataDir: string; now: number; deviceId: string; code: ErrorCode },
): { files: string[]; changes: number } | null {
  return writeUnsentExport(
    store.db,
    {
      dir: path.join(context.dataDir, 'unsent'),
      now: context.now,
      reason: context.code,
      serverUrl: account.serverUrl,
      deviceId: context.deviceId,
      user: { id: account.user.id, email: account.user.email, name: account.user.name },
    },
    () => store.clock.tick(),
  );
}
