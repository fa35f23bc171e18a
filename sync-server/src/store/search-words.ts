/**
 * Booking search, the same on both adapters: a booking is found by any word of its attendee's
 * name or email, the whole email, or its code, each matched by prefix and case-insensitively.
 */

/** Lower-case words of name and email, the whole email and the code; at most 40, each ≤ 64 chars. */
export function searchTermsOf(attendee: { name: string; email?: string | undefined }, code: string): string[] {
  const words = `${attendee.name} ${attendee.email ?? ''}`
    .toLowerCase()
    .split(/[\s@.,;:+()"'<>[\]-]+/)
    .filter((word) => word.length > 0)
    .map((word) => word.slice(0, 64));
  if (attendee.email) words.push(attendee.email.toLowerCase().slice(0, 64));
  words.push(code.toLowerCase());
  return [...new Set(words)].slice(0, 40);
}

/** Search words from user text (at most 5): each must prefix-match one of a booking's terms. */
export function searchWordsOf(q: string): string[] {
  return q
    .toLowerCase()
    .split(/[\s,;:+()"'<>[\]]+/)
    .filter((word) => word.length > 0)
    .map((word) => word.slice(0, 64))
    .slice(0, 5);
}
