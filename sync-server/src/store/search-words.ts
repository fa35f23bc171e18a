import { foldForSearch, truncateText } from '@gatehouse/protocol';

/**
 * Booking search, the same on both adapters: a booking is found by any word of its attendee's
 * name or email, the whole email, or its code, each matched by prefix, with case and accents
 * folded by protocol's foldForSearch (the device's index folds the same way), so "soren" finds
 * "Søren" and "straße" finds "STRASSE". Stored names keep what was typed; only these words fold.
 */

const TERM_LENGTH = 64;

/** Folded words of name and email, the whole email and the code; at most 40, each ≤ 64 code units. */
export function searchTermsOf(attendee: { name: string; email?: string | undefined }, code: string): string[] {
  const words = foldForSearch(`${attendee.name} ${attendee.email ?? ''}`)
    .split(/[\s@.,;:+()"'<>[\]-]+/)
    .filter((word) => word.length > 0)
    .map((word) => truncateText(word, TERM_LENGTH));
  if (attendee.email) words.push(truncateText(foldForSearch(attendee.email), TERM_LENGTH));
  words.push(foldForSearch(code));
  return [...new Set(words)].slice(0, 40);
}

/** Search words from user text (at most 5), folded alike: each must prefix-match one of a booking's terms. */
export function searchWordsOf(q: string): string[] {
  return foldForSearch(q)
    .split(/[\s,;:+()"'<>[\]]+/)
    .filter((word) => word.length > 0)
    .map((word) => truncateText(word, TERM_LENGTH))
    .slice(0, 5);
}
