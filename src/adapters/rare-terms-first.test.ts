import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  postingBudget,
  rareTermsFirst,
  type TermPlan,
  type TermPostings,
} from './rare-terms-first.js';

/**
 * A query's terms, their postings drawn where the plan's rules turn: none, one, just below, at and
 * just above the budget, half of it, anything up to 100,000.
 */
const termsNear = (budget: number) =>
  fc
    .uniqueArray(fc.string({ minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 12 })
    .chain((names) =>
      fc.tuple(
        ...names.map((term) =>
          fc
            .oneof(
              fc.constantFrom(0, 1, budget - 1, budget, budget + 1, Math.floor(budget / 2)),
              fc.integer({ min: 0, max: budget * 2 }),
              fc.integer({ min: 0, max: 100_000 }),
            )
            .map((postings): TermPostings => ({ term, postings: Math.max(0, postings) })),
        ),
      ),
    );

/** Terms, the rows they were counted among (sometimes within the budget), and the budget. */
const planCase = fc.integer({ min: 1, max: 50_000 }).chain((budget) =>
  fc.record({
    terms: termsNear(budget),
    rows: fc.oneof(
      fc.integer({ min: 1, max: 200_000 }),
      fc.constantFrom(budget - 1, budget, budget + 1).filter((rows) => rows > 0),
    ),
    budget: fc.constant(budget),
  }),
);

/** Whether a row holding exactly `held` is selected by the plan. */
const selects = (plan: TermPlan, held: Set<string>) =>
  plan.select.some((conjunction) => conjunction.every((term) => held.has(term)));

describe('rareTermsFirst', () => {
  it('selects the rarest terms alone within the budget, common ones in pairs, and the newest rows when the rarest is beyond it; every term scores', () => {
    fc.assert(
      fc.property(planCase, fc.boolean(), ({ terms, rows, budget }, windowed) => {
        const plan = rareTermsFirst(terms, rows, budget, { windowed });
        const byRarity = [...terms].sort((a, b) => a.postings - b.postings);
        expect([...plan.score].sort()).toEqual(terms.map((t) => t.term).sort());
        const total = terms.reduce((sum, t) => sum + t.postings, 0);
        const rarest = byRarity.find((t) => t.postings > 0)?.postings ?? 0;
        expect(plan.complete).toBe(
          total <= budget || rows <= budget || (rarest > budget && !windowed),
        );
        if (plan.complete) {
          expect(plan.select.map(([term]) => term).sort()).toEqual(plan.score.toSorted());
          expect(plan.windowRows).toBeNull();
          expect(plan.postings).toBe(total);
          return;
        }
        // A window (a budget of the newest rows) exactly when the rarest held term is beyond it.
        expect(plan.windowRows).toBe(rarest > budget ? budget : null);
        const singles = plan.select.filter((c) => c.length === 1).map(([term]) => term);
        const pairs = plan.select.filter((c) => c.length === 2);
        expect(plan.select).toHaveLength(singles.length + pairs.length);
        // The singles are the rarest terms, within the budget: terms no row holds, then the
        // rarest held one unless the window selects instead.
        const prefix = byRarity.slice(0, singles.length);
        expect(singles.map((term) => terms.find((t) => t.term === term)!.postings)).toEqual(
          prefix.map((t) => t.postings),
        );
        const singlePostings = prefix.reduce((sum, t) => sum + t.postings, 0);
        expect(singlePostings).toBeLessThanOrEqual(budget);
        if (plan.windowRows === null) expect(singlePostings).toBeGreaterThan(0);
        else expect(singlePostings).toBe(0);
        expect(plan.postings).toBeLessThanOrEqual(2 * budget);
        // The next term would have broken the budget; pairs are of terms not selected alone.
        expect(singlePostings + byRarity[singles.length]!.postings).toBeGreaterThan(budget);
        for (const pair of pairs) {
          expect(pair[0]).not.toBe(pair[1]);
          for (const term of pair) expect(singles).not.toContain(term);
        }
      }),
    );
  });

  it('a larger budget never selects fewer rows', () => {
    fc.assert(
      fc.property(
        planCase,
        fc.integer({ min: 0, max: 50_000 }),
        ({ terms, rows, budget }, more) => {
          const small = rareTermsFirst(terms, rows, budget);
          const large = rareTermsFirst(terms, rows, budget + more);
          // (A rarest held term beyond the small budget makes the small plan the plain query.)
          if (small.complete && !large.complete) return;
          // Every conjunction the small plan selects by is selected by the large one.
          for (const conjunction of small.select) {
            expect(selects(large, new Set(conjunction))).toBe(true);
          }
        },
      ),
      { numRuns: 2_000 },
    );
    // A term joining the singles once cost its pairs their share of the budget.
    const terms = [
      { term: 'a', postings: 1_000 },
      { term: 'b', postings: 600 },
      { term: 'c', postings: 2_000 },
      { term: 'd', postings: 2_000 },
    ];
    expect(selects(rareTermsFirst(terms, 10_000, 1_600), new Set(['c', 'd']))).toBe(true);
  });

  it('selects pairs and a window of the newest rows when the rarest held term alone is beyond the budget', () => {
    // Two terms about as rare: neither selects alone everywhere; rows holding both do, and
    // the newest budget of rows holding either.
    const close = [
      { term: 'kubernet', postings: 2_500 },
      { term: 'helm', postings: 2_601 },
    ];
    expect(rareTermsFirst(close, 20_101, 2_000, { windowed: true })).toMatchObject({
      select: [['kubernet', 'helm']],
      complete: false,
      windowRows: 2_000,
    });
  });

  it('lets a term no row holds select for free, and the rarest held term select too', () => {
    // "what about episode revenue mipova" at 1M chunks: no chunk says "about", two terms are in
    // 59% of them (weightless). "about" alone selected nothing, and the fill ranked every row
    // of the common terms (450 ms); "mipova" must select as well (here: in the window, as
    // "mipova" alone is beyond the budget).
    const plan = rareTermsFirst(
      [
        { term: 'about', postings: 0 },
        { term: 'episode', postings: 587_848 },
        { term: 'revenue', postings: 586_709 },
        { term: 'mipova', postings: 7_188 },
      ],
      1_000_000,
      2_000,
      { weightlessShare: 0.5, windowed: true },
    );
    expect(plan).toMatchObject({
      select: [['about']],
      score: ['about', 'mipova'],
      complete: false,
      windowRows: 2_000,
    });
    // With a held term within the budget, it selects alone after "about": no window.
    const planned = rareTermsFirst(
      [
        { term: 'about', postings: 0 },
        { term: 'teriel', postings: 1_914 },
        { term: 'rishi', postings: 141_960 },
      ],
      1_000_000,
      2_000,
      { weightlessShare: 0.5, windowed: true },
    );
    expect(planned).toMatchObject({ complete: false, windowRows: null });
    expect(planned.select.slice(0, 2)).toEqual([['about'], ['teriel']]);
  });

  it('pairs the common terms rarest pair first, by the rows both are likely in', () => {
    const plan = rareTermsFirst(
      [
        { term: 'zebra', postings: 10 },
        { term: 'alpha', postings: 30_000 },
        { term: 'beta', postings: 20_000 },
        { term: 'gamma', postings: 90_000 },
      ],
      100_000,
      10_000,
    );
    // alpha × beta ≈ 6,000 rows fits after zebra; beta × gamma ≈ 18,000 does not.
    expect(plan).toEqual({
      select: [['zebra'], ['beta', 'alpha']],
      score: ['zebra', 'beta', 'alpha', 'gamma'],
      all: ['zebra', 'alpha', 'beta', 'gamma'],
      complete: false,
      windowRows: null,
      postings: 6_010,
    });
  });

  it('leaves terms in more than the weightless share of the rows out of selection and score, unless all are', () => {
    const terms = [
      { term: 'zebra', postings: 10 },
      { term: 'alpha', postings: 60_000 },
    ];
    expect(rareTermsFirst(terms, 100_000, 2_000, { weightlessShare: 0.5 })).toEqual({
      select: [['zebra']],
      score: ['zebra'],
      all: ['zebra', 'alpha'],
      complete: true,
      windowRows: null,
      postings: 10,
    });
    // Alone, 'alpha' scores; beyond the budget, it selects in the window of the newest rows.
    expect(
      rareTermsFirst(terms.slice(1), 100_000, 2_000, { weightlessShare: 0.5, windowed: true }),
    ).toMatchObject({
      select: [],
      score: ['alpha'],
      windowRows: 2_000,
    });
  });

  it('holds a term in exactly the weightless share weightless (FTS5 gives it IDF 0)', () => {
    const terms = [
      { term: 'half', postings: 50_000 },
      { term: 'rare', postings: 10 },
    ];
    expect(rareTermsFirst(terms, 100_000, 2_000, { weightlessShare: 0.5 }).score).toEqual(['rare']);
    expect(rareTermsFirst(terms, 100_001, 2_000, { weightlessShare: 0.5 }).score).toEqual([
      'rare',
      'half',
    ]);
  });

  it('needs no plan when the postings are exactly the budget; a pair exactly filling it selects', () => {
    const exact = [
      { term: 'a', postings: 1_200 },
      { term: 'b', postings: 800 },
    ];
    expect(rareTermsFirst(exact, 100_000, 2_000).complete).toBe(true);
    expect(rareTermsFirst([...exact, { term: 'c', postings: 1 }], 100_000, 2_000).complete).toBe(
      false,
    );
    // Alone, 'a' fills the budget; 'b' and 'c' are each beyond what is left, and the pair of
    // them is estimated at 1,000 × 10,000 / 10,000 = 1,000 rows: exactly the pairs' budget.
    const plan = rareTermsFirst(
      [
        { term: 'a', postings: 1_000 },
        { term: 'b', postings: 1_000 },
        { term: 'c', postings: 10_000 },
      ],
      10_000,
      1_000,
    );
    expect(plan.select).toEqual([['a'], ['b', 'c']]);
  });

  it('budgets ten postings per result, at least 2,000', () => {
    expect(postingBudget(10)).toBe(2_000);
    expect(postingBudget(200)).toBe(2_000);
    expect(postingBudget(1_000)).toBe(10_000);
  });
});
