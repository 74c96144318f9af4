// The int8 dot-product kernel against plain integer sums: every row length it takes, the largest
// codes either way (the sums must stay exact in 32 bits), positions in any order and more of them
// than the rows held, across a growth and beside a Hamming kernel in the same memory.
import { describe, expect, it } from 'vitest';
import { HammingKernel } from './hamming-kernel.js';
import { Int8Kernel } from './int8-kernel.js';
import { KernelMemory } from './kernel-memory.js';

let state = 7;
const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0);

function plainDot(row: Int8Array, query: Int16Array): number {
  let sum = 0;
  for (let d = 0; d < row.length; d += 1) sum += row[d]! * query[d]!;
  return sum;
}

describe('Int8Kernel', () => {
  it('sums exactly for rows of 16 to 8,192 bytes, at the extremes of both codes', () => {
    for (const stride of [16, 32, 48, 512, 528, 1536, 4096, 8192]) {
      const kernel = new Int8Kernel(stride);
      const rowCount = 40;
      kernel.grow(rowCount);
      const stored = Array.from({ length: rowCount }, (_, r) =>
        // Row 0 all +127, row 1 all −127 (with the query's extremes: the largest sums), then noise.
        Int8Array.from({ length: stride }, () =>
          r === 0 ? 127 : r === 1 ? -127 : (next() % 255) - 127,
        ),
      );
      stored.forEach((row, r) => kernel.rows.set(row, r * stride));
      const largest = kernel.largestCode;
      for (const query of [
        new Int16Array(stride).fill(largest),
        new Int16Array(stride).fill(-largest),
        Int16Array.from({ length: stride }, () => (next() % (2 * largest + 1)) - largest),
      ]) {
        const positions = [3, 0, 1, 39, 1, 17];
        expect(Array.from(kernel.dots(query, positions))).toEqual(
          positions.map((at) => plainDot(stored[at]!, query)),
        );
      }
      expect(Math.abs(127 * largest * stride)).toBeLessThanOrEqual(2 ** 31 - 1);
    }
  });

  it('keeps its rows through growth of a memory shared with a Hamming kernel, and takes more positions than rows', () => {
    const space = new KernelMemory();
    const hamming = new HammingKernel(8, space);
    const kernel = new Int8Kernel(512, space);
    const rows = (count: number) =>
      Array.from({ length: count }, () =>
        Int8Array.from({ length: 512 }, () => (next() % 255) - 127),
      );
    const bits = (count: number) =>
      Array.from({ length: count }, () => Uint32Array.from({ length: 16 }, next));
    const int8Rows = rows(64);
    const bitRows = bits(64);
    kernel.grow(32);
    let view = hamming.rows(32);
    int8Rows.slice(0, 32).forEach((row, r) => kernel.rows.set(row, r * 512));
    bitRows.slice(0, 32).forEach((row, r) => view.set(row, r * 16));
    // Growing moves the int8 table up past the Hamming kernel's: both keep their rows.
    kernel.grow(64);
    view = hamming.rows(64);
    int8Rows.slice(32).forEach((row, r) => kernel.rows.set(row, (r + 32) * 512));
    bitRows.slice(32).forEach((row, r) => view.set(row, (r + 32) * 16));
    const query = Int16Array.from({ length: 512 }, () => (next() % 20_001) - 10_000);
    const positions = Array.from({ length: 150 }, (_, j) => (j * 37) % 64);
    expect(Array.from(kernel.dots(query, positions))).toEqual(
      positions.map((at) => plainDot(int8Rows[at]!, query)),
    );
    const zero = new Uint32Array(16);
    const { distances } = hamming.distances(zero, 64);
    expect(Array.from(distances)).toEqual(
      bitRows.map((row) =>
        row.reduce((sum, word) => sum + word.toString(2).split('1').length - 1, 0),
      ),
    );
  });

  it('writes where it reads after the other kernel moved its rows', () => {
    // The int8 table comes after the Hamming kernel's: the Hamming kernel growing moves it, in
    // memory that may not need a new page.
    const space = new KernelMemory();
    const hamming = new HammingKernel(1, space);
    const kernel = new Int8Kernel(16, space);
    kernel.grow(4);
    kernel.rows.set(
      Int8Array.from({ length: 16 }, () => 7),
      16,
    );
    hamming.rows(8);
    kernel.rows.set(
      Int8Array.from({ length: 16 }, () => 3),
      16,
    );
    const [sum] = kernel.dots(new Int16Array(16).fill(1), [1]);
    expect(sum).toBe(16 * 3);
  });

  it('refuses rows it cannot sum exactly or hold, and positions past its rows', () => {
    expect(() => new Int8Kernel(24)).toThrow();
    expect(() => new Int8Kernel(8208)).toThrow();
    const kernel = new Int8Kernel(16);
    expect(kernel.dots(new Int16Array(16), [])).toHaveLength(0);
    expect(() => kernel.dots(new Int16Array(16), [0])).toThrow(RangeError);
    kernel.grow(2);
    expect(() => kernel.dots(new Int16Array(16), [2])).toThrow(RangeError);
  });
});
