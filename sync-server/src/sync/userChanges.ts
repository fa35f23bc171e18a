import { userBucket } from '@gatehouse/protocol';
import type { Collection } from 'mongodb';
import { toUser, type UserDoc, type UserStore } from '../users/store';
import type { ChangeLog, ChangeOf, LoggedRow } from './changelog';

type UserRow = UserDoc & LoggedRow;

export const userChange: ChangeOf<UserRow> = (row) => ({
  bucket: userBucket(row._id),
  type: 'user',
  id: row._id,
  doc: toUser(row),
});

function rows(users: UserStore): Collection<UserRow> {
  return users.users as unknown as Collection<UserRow>;
}

/**
 * Publishes a user's current profile into their own bucket, so their devices learn of a new name or
 * role like any other change. Called after every profile write; the rev bump makes concurrent calls
 * converge on the newest version.
 */
export async function logUserProfile(changeLog: ChangeLog, users: UserStore, userId: string): Promise<void> {
  await changeLog.updateAndLog(rows(users), { _id: userId }, {}, userChange);
}

export function repairUserChanges(changeLog: ChangeLog, users: UserStore): Promise<number> {
  return changeLog.repairPending(rows(users), userChange);
}
