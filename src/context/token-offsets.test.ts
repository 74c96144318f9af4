import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tokenTextOffsets } from './token-offsets.js';
import { createO200kTokenizer } from './tokenizers/gpt-tokenizers.js';

const tokenizer = createO200kTokenizer();

/** UTF-8 offset where each token starts. */
function byteStarts(ids: number[]): number[] {
  let byte = 0;
  return ids.map((id) => {
    const start = byte;
    byte += tokenizer.tokenByteLength(id);
    return start;
  });
}

describe('tokenTextOffsets', () => {
  it('slices ASCII text into exactly the decoded tokens', () => {
    const text = 'Alice Smith works at Acme Corp.\n\nBob Jones books trips.';
    const ids = tokenizer.encode(text);
    const offsets = tokenTextOffsets(text, ids, tokenizer);
    const pieces = offsets.map((start, i) => text.slice(start, offsets[i + 1] ?? text.length));
    expect(pieces).toEqual(ids.map((id) => tokenizer.decode([id])));
  });

  it('gives a token that starts inside a character the character’s start', () => {
    // o200k spells this rare CJK-extension character in more than one token.
    const text = 'a 𠜎 b';
    const ids = tokenizer.encode(text);
    const offsets = tokenTextOffsets(text, ids, tokenizer);
    expect(ids.length).toBeGreaterThan(3);
    expect(offsets).toEqual([...offsets].sort((x, y) => x - y));
    expect(offsets.filter((o) => o === 1).length).toBeGreaterThanOrEqual(1);
    expect(offsets.every((o) => o >= 0 && o < text.length)).toBe(true);
  });

  it('property: one offset per token, in order, each at a character start holding the token’s first byte', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), (raw) => {
        const text = tokenizer.canonicalize(raw);
        const ids = tokenizer.encode(text);
        const offsets = tokenTextOffsets(text, ids, tokenizer);
        expect(offsets).toHaveLength(ids.length);
        const starts = byteStarts(ids);
        offsets.forEach((offset, i) => {
          if (i > 0) expect(offset).toBeGreaterThanOrEqual(offsets[i - 1]!);
          const before = Buffer.byteLength(text.slice(0, offset));
          // The character at `offset` holds the token's first byte.
          expect(before).toBeLessThanOrEqual(starts[i]!);
          const char = String.fromCodePoint(text.codePointAt(offset)!);
          expect(before + Buffer.byteLength(char)).toBeGreaterThan(starts[i]!);
          // Where both ends fall on character starts, the slice is the token, decoded.
          const next = offsets[i + 1] ?? text.length;
          const nextByte = starts[i + 1] ?? Buffer.byteLength(text);
          if (before === starts[i] && Buffer.byteLength(text.slice(0, next)) === nextByte) {
            expect(text.slice(offset, next)).toBe(tokenizer.decode([ids[i]!]));
          }
        });
      }),
      { numRuns: 300 },
    );
  });
});
