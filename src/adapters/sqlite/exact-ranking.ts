// The exact top k of a sign-bit index's candidates (SignBitIndex.nearest), scored in SQL with
// every filter: first the candidates that can reach the top k, then, only when filters the index
// does not hold left too few of them above the floor, every candidate, and, when even those fall
// short while more rows match, the whole scope.

/** A scored row, best first (sqlite-vec scores a zero vector NULL). */
export interface Scored {
  score: number | null;
}

export interface SplitCandidates {
  ids: number[];
  others: number[];
  matched: number;
  floor: number;
}

/**
 * `rank(ids)`: the best k of those vector rows passing every filter, best first; `rankScope()`:
 * the best k of the whole scope.
 */
export function rankExactly<T extends Scored>(
  found: SplitCandidates,
  k: number,
  rank: (ids: number[]) => T[],
  rankScope: () => T[],
): T[] {
  let ranked = rank(found.ids);
  const last = ranked[k - 1]?.score;
  const settled = ranked.length === k && typeof last === 'number' && last >= found.floor;
  if (!settled && found.others.length > 0) ranked = rank([...found.ids, ...found.others]);
  if (ranked.length < k && found.matched > found.ids.length + found.others.length)
    ranked = rankScope();
  return ranked;
}
