// The scan for long runs against the regular expressions it replaced, `\S{n+1,}` and the same
// with the u flag (code points), over every character JavaScript's `\s` matches, some that look
// like space but are not, surrogate pairs and lone surrogates.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { longRuns } from './long-runs.js';

const SPACES = [
  ' ',
  '\t',
  '\n',
  '\v',
  '\f',
  '\r',
  '\u00a0',
  '\u1680',
  '\u2000',
  '\u200a',
  '\u2028',
  '\u2029',
  '\u202f',
  '\u205f',
  '\u3000',
  '\ufeff',
];
const NOT_SPACES = ['\u200b', '\u0085', '\u180e', 'x', '>', '東', '😀', '𝐀', '\ud83d', '\ude00'];

const byRegex = (text: string, maxChars: number, flags = 'g', spaces = false) => {
  const n = maxChars + 1;
  const pattern = spaces ? `\\S{${n},}|\\s{${n},}` : `\\S{${n},}`;
  return [...text.matchAll(new RegExp(pattern, flags))].map((run) => [
    run.index,
    run.index + run[0].length,
  ]);
};

describe('longRuns', () => {
  it('finds exactly the runs `\\S{n+1,}` finds (and with spaces, `\\S{n+1,}|\\s{n+1,}`)', () => {
    const piece = fc.oneof(
      fc.constantFrom(...SPACES),
      fc
        .constantFrom(...SPACES)
        .chain((c) => fc.integer({ min: 1, max: 40 }).map((n) => c.repeat(n))),
      fc
        .constantFrom(...NOT_SPACES)
        .chain((c) => fc.integer({ min: 1, max: 40 }).map((n) => c.repeat(n))),
      fc.string({ maxLength: 20 }),
    );
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 16 }),
        fc.integer({ min: 1, max: 60 }),
        (pieces, n) => {
          const text = pieces.join('');
          expect(longRuns(text, n)).toEqual(byRegex(text, n));
          expect(longRuns(text, n, { codePoints: true })).toEqual(byRegex(text, n, 'gu'));
          expect(longRuns(text, n, { spaces: true })).toEqual(byRegex(text, n, 'g', true));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('breaks a run at every whitespace character and at none of the others', () => {
    const run = 'y'.repeat(5);
    for (const space of SPACES) expect(longRuns(`${run}${space}${run}`, 8)).toEqual([]);
    for (const other of NOT_SPACES) {
      const text = `${run}${other}${run}`;
      expect(longRuns(text, 8), JSON.stringify(other)).toEqual([[0, text.length]]);
    }
  });
});
