// Kernel memory: tables move up as they grow and keep their rows; rows new to a table are zeros
// (a row's padding is read by the kernels), whatever another table left there; the layout is
// fixed once it has grown.
import { describe, expect, it } from 'vitest';
import { KernelMemory } from './kernel-memory.js';

describe('KernelMemory', () => {
  it('moves every table past the one before it and zeroes the rows it adds', () => {
    const space = new KernelMemory();
    const block = space.block(100);
    const tables = [space.table(16), space.table(4), space.table(512)];
    space.grow(1024);
    const fill = (table: number, width: number, rows: number, seed: number) =>
      new Uint8Array(space.buffer, space.offset(table), rows * width).forEach(
        (_, i, bytes) => (bytes[i] = (i * 31 + seed) % 251),
      );
    tables.forEach((table, t) => fill(table, [16, 4, 512][t]!, 1024, t + 1));
    new Uint8Array(space.buffer, block, 100).fill(9);
    space.grow(3000);
    tables.forEach((table, t) => {
      const width = [16, 4, 512][t]!;
      const bytes = new Uint8Array(space.buffer, space.offset(table), 3000 * width);
      let kept = 0;
      for (let i = 0; i < 1024 * width; i += 1) if (bytes[i] === (i * 31 + t + 1) % 251) kept += 1;
      expect(kept).toBe(1024 * width);
      expect(bytes.subarray(1024 * width).every((byte) => byte === 0)).toBe(true);
    });
    expect(new Uint8Array(space.buffer, block, 100).every((byte) => byte === 9)).toBe(true);
    expect(space.offset(tables[1]!)).toBe(space.offset(tables[0]!) + 3000 * 16);
    expect(space.offset(tables[2]!)).toBe(space.offset(tables[1]!) + 3000 * 4);
    expect(() => space.table(8)).toThrow();
    expect(() => space.block(8)).toThrow();
  });

  it('starts every table at a 16-byte boundary, whatever the capacity', () => {
    const space = new KernelMemory();
    const tables = [space.table(2), space.table(4), space.table(3)];
    space.grow(7);
    for (const table of tables) expect(space.offset(table) % 16).toBe(0);
    space.grow(1001);
    for (const table of tables) expect(space.offset(table) % 16).toBe(0);
  });

  it('changes nothing when memory cannot grow that far, and grows again afterwards', () => {
    const space = new KernelMemory();
    const wide = space.table(65_536);
    const narrow = space.table(16);
    space.grow(2);
    new Uint8Array(space.buffer, space.offset(narrow), 32).fill(7);
    const before = space.offset(narrow);
    // 70,000 rows of 64 KiB: past the 4 GiB a WebAssembly memory holds.
    expect(() => space.grow(70_000)).toThrow(/4 GiB/);
    expect(space.offset(narrow)).toBe(before);
    space.grow(3);
    expect(space.offset(wide)).toBe(0);
    const rows = new Uint8Array(space.buffer, space.offset(narrow), 48);
    expect([...rows.subarray(0, 32)].every((byte) => byte === 7)).toBe(true);
    expect([...rows.subarray(32)].every((byte) => byte === 0)).toBe(true);
  });
});
