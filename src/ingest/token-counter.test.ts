// The token counter against its rule, written the plain way: text counted exactly, except that
// each run of more than MAX_RUN_CHARS characters without whitespace, or of whitespace, is counted
// in pieces of that size (the runs are found by scans, long-runs.ts, held to `\S` and `\s`).
import fc from 'fast-check';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { describe, expect, it } from 'vitest';
import { createTokenCounter, MAX_RUN_CHARS } from './token-counter.js';

const NO_SPECIAL = { disallowedSpecial: new Set<string>() };
const exact = (text: string) => (text.length === 0 ? 0 : countTokens(text, NO_SPECIAL));

function byTheRule(text: string): number {
  let total = 0;
  let last = 0;
  const runs = new RegExp(`\\S{${MAX_RUN_CHARS + 1},}|\\s{${MAX_RUN_CHARS + 1},}`, 'g');
  for (const run of text.matchAll(runs)) {
    total += exact(text.slice(last, run.index));
    for (let at = 0; at < run[0].length; at += MAX_RUN_CHARS)
      total += exact(run[0].slice(at, at + MAX_RUN_CHARS));
    last = run.index + run[0].length;
  }
  return total + exact(text.slice(last));
}

const piece = fc.oneof(
  fc.constantFrom(' ', '\n', '\u3000', '\u200b'),
  fc
    .constantFrom(' ', '\u00a0', '\n')
    .chain((c) => fc.integer({ min: 900, max: 2500 }).map((n) => c.repeat(n))),
  fc
    .constantFrom('x', 'Hello', '>', '東', '😀')
    .chain((c) => fc.integer({ min: 1, max: 400 }).map((n) => c.repeat(n))),
  fc.string({ maxLength: 40 }),
);

describe('token counter', () => {
  it('counts as the rule says: exactly, and runs without whitespace longer than the limit in pieces', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
        const text = pieces.join('');
        expect(createTokenCounter('o200k_base')(text)).toBe(byTheRule(text));
      }),
      { numRuns: 150 },
    );
  });
});
