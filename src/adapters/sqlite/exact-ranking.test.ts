// The exact top k from split candidates: accepted only when k exact scores reach the floor
// (a NULL score, sqlite-vec's for a zero vector, does not), else every candidate, else the scope.
import { describe, expect, it } from 'vitest';
import { rankExactly } from './exact-ranking.js';

/** Rows by id with their exact scores; `hidden` fail a filter the index does not hold. */
function table(scores: Record<number, number | null>, hidden: number[] = []) {
  const calls: string[] = [];
  const rank = (ids: number[], k: number) =>
    ids
      .filter((id) => !hidden.includes(id))
      .map((id) => ({ id, score: scores[id]! }))
      .sort((a, b) => (b.score ?? -Infinity) - (a.score ?? -Infinity) || a.id - b.id)
      .slice(0, k);
  return {
    calls,
    run: (found: { ids: number[]; others: number[]; matched: number; floor: number }, k: number) =>
      rankExactly(
        found,
        k,
        (ids) => {
          calls.push(`rank ${ids.join(',')}`);
          return rank(ids, k);
        },
        () => {
          calls.push('scope');
          return rank(Object.keys(scores).map(Number), k);
        },
      ).map((row) => row.id),
  };
}

describe('rankExactly', () => {
  it('accepts the kept rows when k of them reach the floor', () => {
    const t = table({ 1: 0.9, 2: 0.8, 3: 0.1 });
    expect(t.run({ ids: [1, 2], others: [3], matched: 3, floor: 0.7 }, 2)).toEqual([1, 2]);
    expect(t.calls).toEqual(['rank 1,2']);
  });

  it('scores every candidate when a filter leaves the k-th below the floor', () => {
    // 2 is filtered out; 4 (kept) is below the floor, 3 (left out) beats it.
    const t = table({ 1: 0.9, 2: 0.8, 3: 0.5, 4: 0.45 }, [2]);
    expect(t.run({ ids: [1, 2, 4], others: [3], matched: 4, floor: 0.6 }, 2)).toEqual([1, 3]);
    expect(t.calls).toEqual(['rank 1,2,4', 'rank 1,2,4,3']);
  });

  it('does not count a NULL score as reaching the floor', () => {
    const t = table({ 1: 1, 2: -0.1, 3: -0.5, 4: null }, [2]);
    expect(t.run({ ids: [1, 2, 4], others: [3], matched: 4, floor: -0.2 }, 2)).toEqual([1, 3]);
  });

  it('scores the whole scope when every candidate together falls short of k', () => {
    const t = table({ 1: 0.9, 2: 0.8, 3: 0.7, 4: 0.1 }, [2]);
    expect(t.run({ ids: [1, 2], others: [], matched: 4, floor: 0.75 }, 2)).toEqual([1, 3]);
    expect(t.calls).toEqual(['rank 1,2', 'scope']);
  });
});
