// The WebAssembly kernel, assembled per row length: its distances equal a plain popcount of
// each row against the query, for every row length from one word up, through growth, and so do
// its count per distance (all, within a ceiling, or over a run of rows) and the rows it finds
// within a cutoff.
import { describe, expect, it } from 'vitest';
import { HammingKernel } from './hamming-kernel.js';

function popcount(word: number): number {
  let bits = 0;
  for (let x = word >>> 0; x !== 0; x >>>= 1) bits += x & 1;
  return bits;
}

describe('HammingKernel', () => {
  it('counts differing bits exactly for rows of 1 to 20 words and up to 128, across a growth', () => {
    let state = 3;
    const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0);
    // Past 121 words the locals' indices take two bytes; 128 is the longest row allowed.
    const strides = [...Array.from({ length: 20 }, (_, i) => i + 1), 24, 64, 121, 122, 127, 128];
    for (const stride of strides) {
      const kernel = new HammingKernel(stride);
      const words = stride * 2;
      const rowCount = 700;
      const stored = Array.from({ length: rowCount }, () =>
        Uint32Array.from({ length: words }, next),
      );
      // Half the rows, then a growth, then the rest: rows written before stay in place.
      let rows = kernel.rows(rowCount / 2);
      stored.slice(0, rowCount / 2).forEach((row, r) => rows.set(row, r * words));
      rows = kernel.rows(rowCount);
      stored.slice(rowCount / 2).forEach((row, r) => rows.set(row, (r + rowCount / 2) * words));
      const query = Uint32Array.from({ length: words }, next);
      const { distances, histogram } = kernel.distances(query, rowCount);
      const expected = stored.map((row) =>
        row.reduce((sum, word, w) => sum + popcount(word ^ query[w]!), 0),
      );
      expect(Array.from(distances)).toEqual(expected);
      const counts = new Array<number>(stride * 64 + 1).fill(0);
      for (const distance of expected) counts[distance] = counts[distance]! + 1;
      expect(Array.from(histogram)).toEqual(counts);
      const cutoff = [...expected].sort((a, b) => a - b)[50]!;
      expect(Array.from(kernel.atMost(cutoff, rowCount))).toEqual(
        expected.flatMap((distance, row) => (distance <= cutoff ? [row] : [])),
      );
      // With a ceiling, only the rows at most that far are counted; every distance is written.
      const near = kernel.distances(query, rowCount, cutoff);
      expect(Array.from(near.distances)).toEqual(expected);
      expect(Array.from(near.histogram)).toEqual(counts.map((n, d) => (d <= cutoff ? n : 0)));
      expect(
        Array.from(kernel.distances(query, rowCount, -1).histogram).every((n) => n === 0),
      ).toBe(true);
      // A run of rows alone.
      const part = new Array<number>(stride * 64 + 1).fill(0);
      for (const distance of expected.slice(100, 350)) part[distance] = part[distance]! + 1;
      expect(Array.from(kernel.counts(query, 100, 250))).toEqual(part);
    }
  });
});
