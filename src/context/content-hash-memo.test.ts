// The content-hash memo is bounded in bytes: many long distinct texts (the 400 texts of
// 250 KB kept ~100 MB) stay within its budget, and every hash is still right.
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../domain/hashing.js';
import { createContentHashMemo } from './content-hash-memo.js';

describe('content-hash memo', () => {
  it('stays within its byte budget for 400 distinct 250 KB texts', () => {
    const memo = createContentHashMemo(4 * 1024 * 1024);
    const base = 'x'.repeat(250_000);
    for (let i = 0; i < 400; i += 1) {
      const text = `${i}:${base}`;
      expect(memo.of(text)).toBe(sha256Hex(text));
    }
    expect(memo.bytes).toBeLessThanOrEqual(memo.maxBytes);
  });

  it('keeps many short texts, evicting the least recently used past the budget', () => {
    const memo = createContentHashMemo(64 * 1024);
    for (let i = 0; i < 5_000; i += 1) memo.of(`memory number ${i}`);
    expect(memo.bytes).toBeGreaterThan(0);
    expect(memo.bytes).toBeLessThanOrEqual(64 * 1024);
    expect(memo.of('memory number 4999')).toBe(sha256Hex('memory number 4999'));
  });
});
