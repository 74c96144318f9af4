import { describe, expect, it, vi } from 'vitest';
import { newId } from './ids.js';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

describe('newId', () => {
  it('is the prefix, ten characters of time and twelve random ones', () => {
    expect(newId('chk', 1_700_000_000_000)).toMatch(/^chk_01hf7yat00[0-9a-hjkmnp-tv-z]{12}$/u);
  });

  it('sorts by creation time', () => {
    const times = [0, 1, 31, 32, 1_000, 1_700_000_000_000, 1_700_000_000_001, 2 ** 50 - 1];
    const ids = times.map((ms) => newId('x', ms));
    expect([...ids].sort()).toEqual(ids);
  });

  // Many times the random pool's size, all in one millisecond: only the random part tells them
  // apart, so a byte of the pool used twice or left unfilled would repeat one.
  it('never repeats within a millisecond, and its random characters are evenly spread', () => {
    const count = 100_000;
    const ids = Array.from({ length: count }, () => newId('x', 0));
    expect(new Set(ids).size).toBe(count);
    const seen = new Map<string, number>();
    for (const id of ids)
      for (const char of id.slice(-12)) seen.set(char, (seen.get(char) ?? 0) + 1);
    expect([...seen.keys()].sort()).toEqual([...ALPHABET].sort());
    const expected = (count * 12) / 32;
    for (const n of seen.values()) expect(Math.abs(n - expected) / expected).toBeLessThan(0.05);
  });

  // With the system's generator replaced by a counter, every id's twelve characters must be the
  // next twelve bytes of the pool, a pool is used to its last whole id and then filled again:
  // a byte used twice, skipped or left unfilled shows.
  it('uses each byte of its pool once, in order, and fills it again when it runs short', async () => {
    let next = 0;
    const fills: number[] = [];
    vi.resetModules();
    vi.doMock('node:crypto', () => ({
      randomFillSync: (buffer: Buffer) => {
        fills.push(next);
        for (let i = 0; i < buffer.length; i++) buffer[i] = next++ % 256;
        return buffer;
      },
    }));
    try {
      const { newId: counted } = await import('./ids.js');
      const perFill = Math.floor(4096 / 12);
      for (let j = 0; j < 3 * perFill + 5; j++) {
        const first = Math.floor(j / perFill) * 4096 + (j % perFill) * 12;
        const expected = Array.from({ length: 12 }, (_, p) => ALPHABET[(first + p) % 32]).join('');
        expect(counted('x', 0).slice(-12)).toBe(expected);
      }
      expect(fills).toEqual([0, 4096, 8192, 12288]);
    } finally {
      vi.doUnmock('node:crypto');
      vi.resetModules();
    }
  });
});
