import { routes } from '@gatehouse/protocol';
import type { Account } from '../account';
import type { DeviceStore } from './device';

/**
 * Changes the signed-in user's password on the server (every other session of theirs ends there)
 * and renews this device's offline-unlock verifier, so only the new password unlocks it offline.
 * Needs the server (UNAUTHENTICATED when signed in offline). Answers how many sessions ended.
 */
export async function changePassword(
  account: Account,
  device: DeviceStore,
  params: { currentPassword: string; newPassword: string },
  verifierCost: number,
): Promise<{ ended: number }> {
  const answer = await account.online().api.call(routes['users.changeMyPassword'], { body: params });
  await device.remember(account.user, account.serverUrl, params.newPassword, verifierCost);
  return answer;
}
