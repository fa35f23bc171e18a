import { describe, expect, it } from 'vitest';
import { Utf8Writer } from '../src/http/json-answer';

/** The writer behind pre-serialized answers (http/json-answer.ts): its bytes are Buffer.from of the text. */
describe('Utf8Writer', () => {
  const pieces = ['{"name":"Zoë"}', 'plain ascii', '中文 名字', '🎟️ ticket', '"\\u0000"', 'x'.repeat(5000)];

  it('writes the UTF-8 of its pieces whatever the estimate: exact, too small (grows), or far too large', () => {
    const text = pieces.join(',');
    for (const estimate of [Buffer.byteLength(text), text.length, 1, 10 * text.length]) {
      const writer = new Utf8Writer(estimate);
      pieces.forEach((piece, i) => writer.write(i === 0 ? piece : `,${piece}`));
      expect(writer.bytes().equals(Buffer.from(text, 'utf8'))).toBe(true);
    }
  });

  it('fills an exact estimate for ASCII, multi-byte text included near the end', () => {
    const writer = new Utf8Writer(1024);
    const ascii = 'a'.repeat(1020);
    writer.write(ascii);
    writer.write('é!');
    expect(writer.bytes().toString('utf8')).toBe(`${ascii}é!`);
  });
});
