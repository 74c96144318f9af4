// Bounded candidate generation for full-text OR queries. An OR query's engine scores every row
// holding any of its terms, so one common term makes a query cost a pass over a large share of
// the index (at 1M chunks a term in 5% of them is 50k rows to rank). The plan lets the rare
// terms select candidates, up to a budget of postings, and the common ones only in pairs, up to
// the budget again (a row holding two of them is rare again and can outrank a row holding one
// rare term); every term still scores each selected row, so a selected row's score is the one
// the plain OR query gives it. What the plan leaves out are rows holding one common term and
// nothing rarer: BM25 gives such a row at most (k1 + 1) × IDF of that term, which the rows
// holding a rare term usually beat.
//
// When even the rarest term some row holds is beyond the budget (at 1M chunks a word in 0.3% of
// them is 3,000 rows), no term may select alone everywhere: the pairs select, and so do a budget
// of rows holding any scored term that the backend reads cheaply (the plan's window: SQLite's
// newest, PostgreSQL's first in table order). A row outside the window holding one term and no
// pair is what is lost.

export interface TermPostings {
  term: string;
  /** Rows of the index holding the term (an estimate is fine; over, not under). 0 says no row
   *  held it when counted: it then selects for free, and never alone. */
  postings: number;
}

export interface TermPlan {
  /** Any of these conjunctions selects a row: a term alone, or a pair of common terms. */
  select: string[][];
  /** Every term that adds to a selected row's score. */
  score: string[];
  /** Every term of the query, weightless ones too: rows holding any of them may fill up to k. */
  all: string[];
  /** True when the selection is every row holding a scored term: their plain OR query. */
  complete: boolean;
  /** When the rarest held term is beyond the budget: how many rows holding a scored term are
   *  selected too, from the backend's window (the budget); else null. */
  windowRows: number | null;
  /** The postings the selection may rank, pairs estimated: at most twice the budget (once for
   *  single terms and the window, once for pairs). */
  postings: number;
}

/** Postings a query may rank: ten per result wanted, at least 2,000 (≈1 ms of FTS5 bm25()). */
export function postingBudget(k: number): number {
  return Math.max(2_000, 10 * k);
}

/** Common terms considered for pairs: 8 make 28 pairs, more than a query's budget admits. */
const MAX_PAIRED_TERMS = 8;

/**
 * Which terms select rows, rarest first, within `budget` postings; `rows` is the number of rows
 * the postings were counted among (for the estimate of how many hold a pair, and no plan is
 * needed when they are within the budget themselves). With
 * `weightlessShare` (BM25 in FTS5: 0.5; its IDF, log((N − n + 0.5) / (n + 0.5)), is 0 or less from
 * there on and clamped to 1e-6), a term held by at least that share of the rows neither selects
 * nor scores, unless every term is such: ranking
 * it costs a pass over its postings and cannot change the order of the rows holding the others.
 * With `windowed`, the caller can rank a window of rows holding a scored term, a budget of them
 * that it reads without reading the rest (SQLite: the newest, as its rowids follow insertion;
 * PostgreSQL: the first its index and table yield); without, a plan whose rarest held term is
 * beyond the budget ranks every match.
 */
export function rareTermsFirst(
  terms: TermPostings[],
  rows: number,
  budget: number,
  options: { weightlessShare?: number; windowed?: boolean } = {},
): TermPlan {
  const { weightlessShare = Infinity, windowed = false } = options;
  const all = terms.map((t) => t.term);
  const weighted = terms.filter((t) => t.postings < weightlessShare * rows);
  const scored = (weighted.length > 0 ? weighted : terms).toSorted(
    (a, b) => a.postings - b.postings,
  );
  const score = scored.map((t) => t.term);
  const total = scored.reduce((sum, t) => sum + t.postings, 0);
  const rarest = scored.find((t) => t.postings > 0)?.postings ?? 0;
  // A store (or scope) of at most `budget` rows cannot match more, however common its terms;
  // a rarest held term beyond the budget needs a window, or every match ranked.
  if (total <= budget || rows <= budget || (rarest > budget && !windowed)) {
    return {
      select: score.map((term) => [term]),
      score,
      all,
      complete: true,
      windowRows: null,
      postings: total,
    };
  }
  // The rarest terms select alone while within the budget: terms no row holds for free (they
  // still find rows added since they were counted), then the rarest term some row holds, unless
  // it alone is beyond the budget: then the scored terms select alone only in the window.
  const select: string[][] = [];
  let used = 0;
  let single = 0;
  while (single < scored.length && used + scored[single]!.postings <= budget) {
    used += scored[single]!.postings;
    select.push([scored[single]!.term]);
    single++;
  }
  const windowRows = rarest > budget ? budget : null;
  const common = scored.slice(single, single + MAX_PAIRED_TERMS);
  const pairs: Array<{ terms: string[]; postings: number }> = [];
  for (let a = 0; a < common.length; a++) {
    for (let b = a + 1; b < common.length; b++) {
      // Independence as the estimate of how many rows hold both.
      const postings = (common[a]!.postings * common[b]!.postings) / Math.max(1, rows);
      pairs.push({ terms: [common[a]!.term, common[b]!.term], postings });
    }
  }
  // Pairs have a budget of their own, so a larger budget never selects fewer rows (a term that
  // joins the singles would otherwise take the share its pairs had).
  let paired = 0;
  for (const pair of pairs.sort((x, y) => x.postings - y.postings)) {
    if (paired + pair.postings > budget) break;
    paired += pair.postings;
    select.push(pair.terms);
  }
  return {
    select,
    score,
    all,
    complete: false,
    windowRows,
    postings: used + paired + (windowRows ?? 0),
  };
}
