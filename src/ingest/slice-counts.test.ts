// Slice counts against counting each slice alone, for both encodings: texts made of the pieces
// where a pre-token's split depends on what is around it (whitespace of every kind before and
// after words, newlines, digit runs split in threes, contractions, combining marks, title-case
// and modifier letters, surrogate pairs and lone halves, special-token text), sliced anywhere.
import fc from 'fast-check';
import { countTokens as countCl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { countTokens as countO200k } from 'gpt-tokenizer/encoding/o200k_base';
import {
  CL100K_TOKEN_SPLIT_REGEX,
  O200K_TOKEN_SPLIT_REGEX,
} from 'gpt-tokenizer/encodingParams/constants';
import { describe, expect, it } from 'vitest';
import { createSliceCounter } from './slice-counts.js';
import { createTokenCounter } from './token-counter.js';

const NO_SPECIAL = { disallowedSpecial: new Set<string>() };
const ENCODINGS = [
  { name: 'o200k_base', split: O200K_TOKEN_SPLIT_REGEX, count: countO200k },
  { name: 'cl100k_base', split: CL100K_TOKEN_SPLIT_REGEX, count: countCl100k },
] as const;

const piece = fc.oneof(
  fc.constantFrom(
    ' ',
    '  ',
    '   ',
    '\t',
    '\n',
    '\n\n',
    '\r\n',
    ' \n ',
    '\u00a0',
    '\u3000',
    '\u2028',
  ),
  fc.constantFrom('Hello', 'world', 'WORLD', 'iPhone', "don't", "'s", "'LL", 'ǅa', 'ʰx', '東京'),
  fc.constantFrom('e\u0301', '\u0301', '😀', '𝐀b', '\ud83d', '\ude00', '\u200b', '\u0085'),
  fc.constantFrom('1', '12', '12345', '3.14', '.', '...', ',', '!?', '/', '//', '—', '(', '"'),
  fc.constantFrom('<|endoftext|>', '#', '##', '- ', '* ', '`'),
  fc.string({ maxLength: 6 }),
);
const text = fc.array(piece, { minLength: 1, maxLength: 30 }).map((pieces) => pieces.join(''));

describe('slice counts', () => {
  for (const { name, split, count } of ENCODINGS) {
    const alone = (slice: string) => (slice.length === 0 ? 0 : count(slice, NO_SPECIAL));
    it(`count every slice as counting it alone does (${name})`, () => {
      fc.assert(
        fc.property(text, fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 40 }), (t, cuts) => {
          const slices = createSliceCounter(t, split, alone);
          for (const [a, b] of cuts) {
            const [start, end] = [a % (t.length + 1), b % (t.length + 1)].sort((x, y) => x - y);
            expect(slices(start!, end!), JSON.stringify(t.slice(start, end))).toBe(
              alone(t.slice(start, end)),
            );
          }
        }),
        { numRuns: 1000 },
      );
    });
  }

  it('count every slice of short texts', () => {
    for (const t of [
      "Hi  there,\n\n  it's 12345 ok  \r\n東京 e\u0301 😀  done. ",
      // A slice that splits 𝐀 makes "|>\ud83d" one pre-token longer.
      '<|endoftext|>\ud83d𝐀b* ',
    ]) {
      const alone = (slice: string) => (slice.length === 0 ? 0 : countO200k(slice, NO_SPECIAL));
      const slices = createSliceCounter(t, O200K_TOKEN_SPLIT_REGEX, alone);
      for (let start = 0; start <= t.length; start++)
        for (let end = start; end <= t.length; end++)
          expect(slices(start, end)).toBe(alone(t.slice(start, end)));
    }
  });

  it("answer from the token counter's slicesOf, by its rule where a run is counted in pieces", () => {
    const counter = createTokenCounter('o200k_base');
    const prose = 'A paragraph of prose. Another sentence here!\n\n';
    for (const t of [prose.repeat(20), `${prose}${'>'.repeat(2500)} tail ${prose}`]) {
      const slices = counter.slicesOf!(t);
      for (let start = 0; start < t.length; start += 97)
        for (let end = start; end <= t.length; end += 131)
          expect(slices(start, end)).toBe(counter(t.slice(start, end)));
    }
  });
});
