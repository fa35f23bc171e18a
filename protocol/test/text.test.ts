import { describe, expect, it } from 'vitest';
import { foldForSearch, graphemeCount, truncateText } from '../src/text';

const lone = (text: string) => /\p{Surrogate}/u.test(text);

describe('truncateText', () => {
  it('keeps text that fits, and cuts longer text to at most maxLength code units with the ellipsis', () => {
    expect(truncateText('Gala', 4, '…')).toBe('Gala');
    expect(truncateText('Spring Gala', 8, '…')).toBe('Spring …');
    expect(truncateText('x'.repeat(300), 200, '…')).toHaveLength(200);
  });

  it('never splits a surrogate pair: an emoji at the cut goes whole', () => {
    const text = `${'a'.repeat(198)}🎉${'b'.repeat(10)}`;
    const cut = truncateText(text, 200, '…');
    expect(cut).toBe(`${'a'.repeat(198)}…`);
    expect(lone(cut)).toBe(false);
    expect(truncateText(text, 201, '…')).toBe(`${'a'.repeat(198)}🎉…`);
  });

  it('keeps ZWJ sequences, flags and Devanagari clusters whole', () => {
    const family = '👨\u200d👩\u200d👧';
    expect(truncateText(`ab${family}cd`, 9, '…')).toBe('ab…');
    expect(truncateText(`ab${family}cd`, 11, '…')).toBe(`ab${family}…`);
    expect(truncateText('🇩🇪🇫🇷', 5)).toBe('🇩🇪');
    // "नमस्ते": न म स्ते in graphemes; a cut never leaves a vowel sign or virama without its letter.
    const namaste = 'नमस्ते';
    for (let max = 0; max < namaste.length; max++) {
      const cut = truncateText(namaste, max);
      expect(namaste.startsWith(cut)).toBe(true);
      expect(/^\p{M}/u.test(namaste.slice(cut.length)), `cut at ${max}`).toBe(false);
    }
    expect(graphemeCount(`a${family}é`)).toBe(3);
  });

  it('never splits a letter from its combining accent', () => {
    expect(truncateText('Jose\u0301 Nun\u0303ez', 4)).toBe('Jos');
  });
});

describe('foldForSearch', () => {
  it('folds case, accents and the letters that do not decompose', () => {
    expect(foldForSearch('Søren')).toBe('soren');
    expect(foldForSearch('Łukasz')).toBe('lukasz');
    expect(foldForSearch('STRASSE')).toBe(foldForSearch('straße'));
    expect(foldForSearch('Ærø Œuvre Þór Đorđe İstanbul ıi')).toBe('aero oeuvre thor dorde istanbul ii');
    expect(foldForSearch('José Núñez')).toBe('jose nunez');
    expect(foldForSearch('Jose\u0301')).toBe('jose');
    expect(foldForSearch('ﬁnn²')).toBe('finn2');
  });

  it('folds Greek and Cyrillic the same way, and leaves the vowels of Devanagari', () => {
    expect(foldForSearch('ΖΩΉ')).toBe(foldForSearch('ζωη'));
    expect(foldForSearch('ΟΔΥΣΣΕΥΣ')).toBe(foldForSearch('οδυσσευς'));
    expect(foldForSearch('Ёлкина')).toBe('елкина');
    expect(foldForSearch('राम')).not.toBe(foldForSearch('रम'));
  });

  it('is idempotent, and plain ASCII only lower-cases', () => {
    for (const text of ['Søren Straße', 'Ζωή', 'Grace Hopper', 'ﬁ', 'Оксана']) {
      expect(foldForSearch(foldForSearch(text))).toBe(foldForSearch(text));
    }
    expect(foldForSearch('Grace.Hopper@Example.ORG')).toBe('grace.hopper@example.org');
  });
});
