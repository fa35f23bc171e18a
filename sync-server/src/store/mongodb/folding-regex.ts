import { foldForSearch } from '@gatehouse/protocol';
import { escapeRegex } from './queries';

/**
 * The letters that fold (protocol `foldForSearch`) to each letter, and to each pair of letters
 * ("æ" → "ae", "ß" → "ss", "þ" → "th"), drawn once from the Latin, Greek and Cyrillic blocks a
 * name or a title is written in.
 */
const RANGES: Array<[number, number]> = [
  [0x00c0, 0x024f], // Latin-1 Supplement letters, Latin Extended-A and -B
  [0x0370, 0x03ff], // Greek
  [0x0400, 0x04ff], // Cyrillic
  [0x1e00, 0x1eff], // Latin Extended Additional (Vietnamese …)
  [0x1f00, 0x1fff], // Greek Extended
];
const SINGLE = new Map<string, string[]>();
const PAIRS = new Map<string, string[]>();
for (const [from, to] of RANGES) {
  for (let code = from; code <= to; code++) {
    const character = String.fromCodePoint(code);
    const folded = foldForSearch(character);
    if (folded === character.toLowerCase() && folded === character) continue;
    const table = [...folded].length === 1 ? SINGLE : folded.length === 2 ? PAIRS : null;
    if (!table) continue;
    table.set(folded, [...(table.get(folded) ?? []), character]);
  }
}

/** A class matching every character that folds to `letter` (with the `i` option: either case). */
function letterClass(letter: string): string {
  const variants = SINGLE.get(letter);
  if (!variants) return escapeRegex(letter);
  return `[${escapeRegex(letter)}${variants.map(escapeRegex).join('')}]`;
}

/**
 * A case-insensitive `$regex` (use with `$options: 'i'`) that matches a stored text whose folded
 * form contains the folded `q`: "musee" finds "Musée", "muller" finds "Müller", "aero" finds
 * "Ærø". For MongoDB lists that search raw fields with a pattern (events, users) — FerretDB scans
 * for them anyway, so a stored folded copy would save nothing there. Pairs are matched left to
 * right without overlap ("ae" at a position also takes "æ"); decomposed marks (NFD input) are not
 * skipped. Every piece of `q` is escaped: input never becomes a pattern.
 */
export function foldingPattern(q: string): string {
  const letters = [...foldForSearch(q)];
  let pattern = '';
  for (let index = 0; index < letters.length; index++) {
    const single = letterClass(letters[index]!);
    const pair = index + 1 < letters.length ? PAIRS.get(letters[index]! + letters[index + 1]!) : undefined;
    if (pair) {
      pattern += `(?:${single}${letterClass(letters[index + 1]!)}|[${pair.map(escapeRegex).join('')}])`;
      index++;
    } else {
      pattern += single;
    }
  }
  return pattern;
}
