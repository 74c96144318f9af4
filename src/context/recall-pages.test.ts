// Paging recall for a budget: pages are read until the packed context is full or recall runs
// out, items are taken once, and a recall that ignores the offset still ends.
import { describe, expect, it } from 'vitest';
import type { PackedContext, PackItem } from './packer.js';
import { packFromRecallPages } from './recall-pages.js';

/** A packer stand-in that charges one token per character and keeps items in order. */
function charPacker(maxTokens: number) {
  const calls: number[] = [];
  const pack = async (items: PackItem[]): Promise<PackedContext> => {
    calls.push(items.length);
    let used = 0;
    const kept: PackedContext['items'] = [];
    const dropped: PackedContext['dropped'] = [];
    for (const item of items) {
      if (used + item.text.length <= maxTokens) {
        kept.push({ id: item.id, tokenStart: used, tokenEnd: used + item.text.length });
        used += item.text.length;
      } else dropped.push({ id: item.id, reason: 'budget' });
    }
    return {
      text: '',
      tokenIds: [],
      tokenCount: used,
      items: kept,
      truncated: dropped.length > 0,
      dropped,
    };
  };
  return { pack, calls };
}

function ranking(count: number, text = 'x'.repeat(10)) {
  const pages: Array<[number, number]> = [];
  const recallPage = async (offset: number, k: number) => {
    pages.push([offset, k]);
    return Array.from({ length: Math.max(0, Math.min(k, count - offset)) }, (_, i) => ({
      id: `m${offset + i}`,
      text,
    }));
  };
  return { recallPage, pages };
}

describe('packFromRecallPages', () => {
  it('reads past the first page until the budget is full, then stops', async () => {
    const { recallPage, pages } = ranking(100_000);
    const { pack } = charPacker(5_000);
    const result = await packFromRecallPages({ maxTokens: 5_000, pageSize: 100, recallPage, pack });
    expect(result.packed.items).toHaveLength(500);
    expect(result.packed.truncated).toBe(true);
    expect(pages[0]).toEqual([0, 100]);
    expect(pages.every(([offset], i) => offset === i * 100)).toBe(true);
    // Read ahead to about 6 characters a token (30,000 characters), not the whole ranking.
    expect(pages.length).toBeLessThanOrEqual(30);
  });

  it('packs everything recall has when the budget is larger, and says nothing was left out', async () => {
    const { recallPage, pages } = ranking(250);
    const { pack } = charPacker(100_000);
    const result = await packFromRecallPages({
      maxTokens: 100_000,
      pageSize: 100,
      recallPage,
      pack,
    });
    expect(result.packed.items).toHaveLength(250);
    expect(result.packed.truncated).toBe(false);
    expect(pages).toEqual([
      [0, 100],
      [100, 100],
      [200, 100],
    ]);
  });

  it('asks a small budget for a small first page', async () => {
    const { recallPage, pages } = ranking(1_000, 'x');
    const { pack } = charPacker(5);
    await packFromRecallPages({ maxTokens: 5, pageSize: 100, recallPage, pack });
    expect(pages[0]).toEqual([0, 10]);
  });

  it('gathers more and packs again when the characters-per-token guess fell short', async () => {
    // 1 character a token here, so gathering 6 characters a token leaves the budget unfilled.
    const { recallPage } = ranking(10_000, 'x');
    const { pack, calls } = charPacker(3_000);
    const result = await packFromRecallPages({ maxTokens: 3_000, pageSize: 100, recallPage, pack });
    expect(result.packed.tokenCount).toBe(3_000);
    expect(result.packed.truncated).toBe(true);
    expect(calls.length).toBeGreaterThanOrEqual(1);
  });

  it('ends on a recall that ignores the offset, keeping each item once', async () => {
    const same = async (_offset: number, k: number) =>
      Array.from({ length: k }, (_, i) => ({ id: `m${i}`, text: 'y'.repeat(10) }));
    const { pack } = charPacker(100_000);
    const result = await packFromRecallPages({
      maxTokens: 100_000,
      pageSize: 100,
      recallPage: same,
      pack,
    });
    expect(result.packed.items).toHaveLength(100);
    expect(result.pages).toBe(2);
  });
});
