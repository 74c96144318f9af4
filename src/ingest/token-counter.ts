// Token counting for chunk sizes: gpt-tokenizer's o200k_base (or cl100k_base). Special-token
// text such as "<|endoftext|>" in a document is counted as ordinary text, never rejected.
// BPE is quadratic in the length of one pre-token, and a run without whitespace is one: 100k
// ">" took seconds per count, so a hostile Markdown file held a worker for minutes; so is a run of
// whitespace (40,000 no-break spaces: 9 s). Runs of either longer than MAX_RUN_CHARS are counted
// in pieces of that size: such a run's count may be off by about a token per piece (measured:
// 5,377 against 5,378 exact for prose with a 3,000-character run).
//
// The chunker counts many overlapping slices of one text (each unit, then a chunk's slice at a
// few candidate ends, then overlap tails): 3.5 times the text's length in the ingest bench.
// `slicesOf` counts the text's pre-tokens once and answers each slice from their running total,
// exactly what counting the slice alone gives (slice-counts.ts says why that holds).
import { countTokens as countCl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { countTokens as countO200k } from 'gpt-tokenizer/encoding/o200k_base';
import {
  CL100K_TOKEN_SPLIT_REGEX,
  O200K_TOKEN_SPLIT_REGEX,
} from 'gpt-tokenizer/encodingParams/constants';
import { longRuns } from '../domain/long-runs.js';
import { createSliceCounter, type SliceCounter } from './slice-counts.js';

export interface TokenCounter {
  (text: string): number;
  /**
   * Counts of slices [start, end) of one text, each the count of the slice alone. Optional: a
   * counter without it is asked for each slice's text.
   */
  slicesOf?: (text: string) => SliceCounter;
}
export type { SliceCounter };
export type ChunkEncoding = 'o200k_base' | 'cl100k_base';

const NO_SPECIAL = { disallowedSpecial: new Set<string>() };
export const MAX_RUN_CHARS = 1000;
/** Runs of whitespace are counted in pieces too. */
const PIECEWISE = { spaces: true };
/** Pre-tokens whose counts are kept (a word's count is a look-up the second time). */
const MAX_KEPT_PIECES = 50_000;

export function createTokenCounter(encoding: ChunkEncoding = 'o200k_base'): TokenCounter {
  const encode = encoding === 'cl100k_base' ? countCl100k : countO200k;
  const count = (text: string) => (text.length === 0 ? 0 : encode(text, NO_SPECIAL));
  const counter: TokenCounter = (text) => {
    if (text.length <= MAX_RUN_CHARS) return count(text);
    let total = 0;
    let last = 0;
    for (const [start, end] of longRuns(text, MAX_RUN_CHARS, PIECEWISE)) {
      total += count(text.slice(last, start));
      for (let at = start; at < end; at += MAX_RUN_CHARS)
        total += count(text.slice(at, Math.min(at + MAX_RUN_CHARS, end)));
      last = end;
    }
    return total + count(text.slice(last));
  };
  // A pre-token counted alone counts as it does inside its text (slice-counts.ts).
  const kept = new Map<string, number>();
  const countPiece = (piece: string) => {
    let n = kept.get(piece);
    if (n === undefined) {
      n = count(piece);
      if (kept.size >= MAX_KEPT_PIECES) kept.clear();
      kept.set(piece, n);
    }
    return n;
  };
  const split = encoding === 'cl100k_base' ? CL100K_TOKEN_SPLIT_REGEX : O200K_TOKEN_SPLIT_REGEX;
  counter.slicesOf = (text) =>
    // A text with a run counted in pieces is counted slice by slice, by the rule above.
    longRuns(text, MAX_RUN_CHARS, PIECEWISE).length > 0
      ? (start, end) => counter(text.slice(start, end))
      : createSliceCounter(text, split, countPiece);
  return counter;
}
