/**
 * People's text — names, titles, venues, typed searches — handled by what a reader sees: cut only
 * between graphemes (a flag, an accented letter, a ZWJ family emoji stays whole) and searched
 * without regard to case or accents. Server, device and renderer all use these, so a cut or a
 * search never differs between them.
 */

/** Grapheme clusters by Unicode's default rules (UAX #29); locale-independent. */
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * Cuts `text` to at most `maxLength` UTF-16 code units (what `String.length`, zod's `.max()` and
 * HTML's `maxlength` count), at the last grapheme boundary that fits, and appends `ellipsis` when
 * anything was cut (the ellipsis counts towards `maxLength`). Text that fits is returned as it is.
 * A cut never leaves half a surrogate pair, a letter without its accent, or part of an emoji
 * sequence; a first grapheme longer than the room gives '' (plus the ellipsis, if it fits).
 */
export function truncateText(text: string, maxLength: number, ellipsis = ''): string {
  if (text.length <= maxLength) return text;
  const room = Math.max(0, maxLength - ellipsis.length);
  let end = 0;
  for (const { index, segment } of graphemes.segment(text)) {
    if (index + segment.length > room) break;
    end = index + segment.length;
  }
  const cut = text.slice(0, end);
  return ellipsis.length <= maxLength ? cut + ellipsis : cut;
}

/** How many graphemes (user-perceived characters) `text` has. */
export function graphemeCount(text: string): number {
  let count = 0;
  for (const _segment of graphemes.segment(text)) count++;
  return count;
}

/**
 * Accent marks left by NFKD: combining marks of the Inherited script (U+0300–036F and the like,
 * Arabic harakat). Marks of a script of their own are left alone: in Devanagari, Bengali, Thai …
 * they are vowels, part of the spelling, not accents.
 */
const ACCENTS = /(?=\p{M})\p{Script=Inherited}/gu;

/**
 * Letters that no decomposition turns into a base letter, folded as people type them without the
 * key: Scandinavian, Polish, Croatian, Icelandic, Turkish, German, Greek final sigma. (Applied after
 * lower-casing, so upper-case forms arrive here lower-cased.)
 */
const LETTERS: Readonly<Record<string, string>> = {
  ø: 'o',
  æ: 'ae',
  œ: 'oe',
  ß: 'ss',
  ł: 'l',
  đ: 'd',
  ð: 'd',
  þ: 'th',
  ı: 'i',
  ħ: 'h',
  ŧ: 't',
  ŋ: 'n',
  ĸ: 'k',
  ſ: 's',
  ς: 'σ',
};
const FOLDED_LETTERS = new RegExp(`[${Object.keys(LETTERS).join('')}]`, 'gu');
// Printable ASCII and whitespace only: lower-casing is all the folding such text needs.
// eslint-disable-next-line no-control-regex
const PLAIN = /^[\u0000-\u007f]*$/;

/**
 * The one search folding of Gatehouse, used for the server's search terms (both stores) and the
 * device's search index alike: compatibility decomposition (NFKD: "ﬁ" → "fi", "²" → "2", "é" →
 * "e" + accent), accents removed, lower-cased, then the letters that do not decompose folded
 * (ø → o, æ → ae, ß → ss, ł → l, đ → d, œ → oe, þ → th, ı → i, ς → σ …). So "Søren" and "soren",
 * "Łukasz" and "lukasz", "STRASSE" and "straße", "Ἀθηνᾶ" and "αθηνα" fold alike. Only search words
 * and the index are folded; stored names keep what was typed. Changing this function changes what
 * is indexed: both stores and the device then need a migration that rebuilds their words
 * (SEARCH_FOLDING_VERSION).
 */
export function foldForSearch(text: string): string {
  if (PLAIN.test(text)) return text.toLowerCase();
  // Character by character, each non-ASCII one folded once and remembered: normalising whole
  // strings cost ~4 µs a name, which 100,000 accented names on a device's first sync would feel.
  // Decomposition, mark removal and lower-casing all work per character, so the result is the same.
  let folded = '';
  for (const character of text) {
    const code = character.charCodeAt(0);
    folded +=
      code < 0x80
        ? code >= 0x41 && code <= 0x5a
          ? String.fromCharCode(code + 0x20)
          : character
        : foldCharacter(character);
  }
  return folded;
}

/** Non-ASCII characters folded so far; bounded, since names draw on few thousand characters. */
const FOLDED_CHARACTERS = new Map<string, string>();
const REMEMBERED_CHARACTERS = 20_000;

function foldCharacter(character: string): string {
  let folded = FOLDED_CHARACTERS.get(character);
  if (folded === undefined) {
    folded = character
      .normalize('NFKD')
      .replace(ACCENTS, '')
      .toLowerCase()
      .replace(FOLDED_LETTERS, (letter) => LETTERS[letter]!);
    if (FOLDED_CHARACTERS.size < REMEMBERED_CHARACTERS) FOLDED_CHARACTERS.set(character, folded);
  }
  return folded;
}

/**
 * Which foldForSearch stored search words were made with; raised whenever foldForSearch changes,
 * with a migration (server SQLite, MongoDB, device) that rebuilds the words of older versions.
 * 1: lower-case only (before folding). 2: foldForSearch as above.
 */
export const SEARCH_FOLDING_VERSION = 2;
