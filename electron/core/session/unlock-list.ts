import type { KnownUser } from './device';

/**
 * The accounts the offline-unlock list names: the door's (staff and organizers), most recent first.
 * Others (admins) unlock by typing their email, so a laptop left at a door does not list them.
 */
export function listedForUnlock(known: KnownUser[]): KnownUser[] {
  return known
    .filter((user) => user.role === 'staff' || user.role === 'organizer')
    .sort((a, b) => b.lastSignInAt.localeCompare(a.lastSignInAt));
}

/** What the sign-in screen shows of the accounts this device can unlock offline. */
export function unlockChoices(known: KnownUser[]): {
  knownUsers: Array<{ email: string; name: string }>;
  otherUnlockable: boolean;
} {
  const listed = listedForUnlock(known);
  return {
    knownUsers: listed.map((user) => ({ email: user.email, name: user.name })),
    otherUnlockable: known.length > listed.length,
  };
}
