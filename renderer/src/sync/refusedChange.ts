import type { SyncStatus } from '@gatehouse/protocol';
import { plainWordsFor } from '../errors/messages';

export type RefusedChange = SyncStatus['rejected'][number];

/** Each kind of change in a person's words (mutation names, a `.vN` suffix aside). */
const CHANGE_WORDS: Record<string, string> = {
  'checkin.record': 'check-in',
  'checkin.void': 'undo of an admission',
  'booking.walkIn': 'walk-in',
  'booking.cancel': 'cancellation',
  'event.update': 'change to the event',
  'scan.refuse': 'record of a refused scan',
  'alert.acknowledge': 'acknowledgement of an alert',
};

function changeWords(name: string): string {
  return CHANGE_WORDS[name.replace(/\.v\d+$/, '')] ?? 'change';
}

/** "The server refused the check-in of Ann Lee at Quayside Nights." */
export function describeRefusedChange(change: RefusedChange): string {
  const what = changeWords(change.name);
  const whom = change.guestName ? ` of ${change.guestName}` : '';
  const where = change.eventTitle ? ` at ${change.eventTitle}` : '';
  const verb = change.code === 'SUPERSEDED' ? 'overruled' : 'refused';
  return `The server ${verb} the ${what}${whom}${where}.`;
}

/** Why, and what the person at this device does now. */
export function nextStepFor(change: RefusedChange): string {
  const why = plainWordsFor(change.code);
  if (change.code === 'FORBIDDEN' && change.name.startsWith('checkin.')) {
    return `${why} You may no longer be on this event's door team: ask its organizer to add you back. The guest was let in here, but the event's count does not include them.`;
  }
  if (change.code === 'FORBIDDEN') return `${why} Ask the event's organizer or an administrator.`;
  return why;
}
