// The pure signals that read a conversation's structure: roles from speakers and the query's
// grammatical person, passages of long messages, newer restatements lifted above older ones, and
// the confidence model.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  confidence,
  DEFAULT_CONFIDENCE,
  queryTerms,
  termCoverage,
} from '../../src/memory/recall/confidence.js';
import { DEFAULT_WEIGHTS, fuse, type Candidate } from '../../src/memory/recall/fusion.js';
import {
  bestPassage,
  PASSAGE_MAX_WORDS,
  passagesOf,
  WHOLE_TEXT_MAX_WORDS,
} from '../../src/memory/recall/passages.js';
import { speakerRole } from '../../src/memory/recall/roles.js';
import {
  announcesChange,
  asksCurrentState,
  liftUpdates,
  reorderChanges,
  REORDER_WINDOW,
} from '../../src/memory/recall/updates.js';

const wordsIn = (text: string) => text.split(/\s+/).filter((w) => w !== '').length;

describe('roles', () => {
  it('reads chat roles from speakers and leaves people’s names alone', () => {
    expect(speakerRole('assistant')).toBe('assistant');
    expect(speakerRole(' User ')).toBe('user');
    expect(speakerRole('Caroline')).toBeNull();
    expect(speakerRole(null)).toBeNull();
  });

  it('a user’s request keeps its weight where questions count less; an assistant reply takes no neighbour credit', () => {
    const cand = (id: string, role: 'user' | 'assistant', questionShare: number): Candidate => ({
      id,
      group: 'memory',
      text: 1,
      sessionId: 's',
      seq: id === 'u' ? 1 : 2,
      speaker: role,
      role,
      questionShare,
      turnIds: [id],
      isEpisode: false,
      salience: 0,
      recency: 0,
      tierWeight: 1,
    });
    const [user, assistant] = fuse(
      [cand('u', 'user', 1), cand('a', 'assistant', 0)],
      DEFAULT_WEIGHTS,
      new Set(),
    );
    expect(user!.question).toBe(0);
    expect(assistant!.neighbour).toBe(0);
    // A peer's question (a dialogue between people) still counts less.
    const [peer] = fuse([{ ...cand('p', 'user', 1), role: null }], DEFAULT_WEIGHTS, new Set());
    expect(peer!.question).toBeGreaterThan(0);
  });
});

describe('passages', () => {
  const paragraph = (n: number, word: string) => Array.from({ length: n }, () => word).join(' ');

  it('cover the text in order, point into it, and stay within the word limit', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.integer({ min: 1, max: 300 }).map((n) => paragraph(n, 'alpha')),
            fc.constant('```js\nconst x = 1;\n\nconst y = 2;\n```'),
            fc.integer({ min: 1, max: 40 }).map((n) => `${paragraph(n, 'beta')}. Gamma delta!`),
          ),
          { minLength: 1, maxLength: 12 },
        ),
        (parts) => {
          const text = parts.join('\n\n');
          const ps = passagesOf(text);
          let at = 0;
          for (const p of ps) {
            expect(text.slice(p.start, p.end)).toBe(p.text);
            expect(p.start).toBeGreaterThanOrEqual(at);
            expect(text.slice(at, p.start).trim()).toBe('');
            expect(wordsIn(p.text)).toBeLessThanOrEqual(PASSAGE_MAX_WORDS);
            at = p.end;
          }
          expect(text.slice(at).trim()).toBe('');
        },
      ),
      { numRuns: 200 },
    );
  });

  it('cover any text exactly: unicode, CRLF, tabs, blank-space paragraphs, unclosed fences', () => {
    const piece = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 30 }),
      fc.string({ unit: 'binary', maxLength: 30 }),
      fc.constantFrom('\r\n', '\n\n', '\t', ' \n \n', '```', '```js\n', '. ', '😀 ', 'word '),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 60 }), fc.integer({ min: 1, max: 8 }), (ps, max) => {
        const text = ps.join('');
        let at = 0;
        for (const p of passagesOf(text, max)) {
          expect(text.slice(p.start, p.end)).toBe(p.text);
          expect(p.text).toBe(p.text.trim());
          expect(p.start).toBeGreaterThanOrEqual(at);
          expect(text.slice(at, p.start).trim()).toBe('');
          // Never a cut between the halves of a surrogate pair.
          for (const cut of [p.start, p.end])
            expect(/^[\uD800-\uDBFF][\uDC00-\uDFFF]$/.test(text.slice(cut - 1, cut + 1))).toBe(
              false,
            );
          at = p.end;
        }
        expect(text.slice(at).trim()).toBe('');
      }),
      { numRuns: 300 },
    );
  });

  it('a long message of blank lines is split in linear time', () => {
    // Not a timing claim: quadratic work here (each blank line rescanning the blank lines after
    // it) takes seconds; linear work takes milliseconds.
    const text = `${'word '.repeat(200)}\n${' \n'.repeat(125_000)}`;
    const started = performance.now();
    const best = bestPassage(text, queryTerms('word'))!;
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(text.slice(best.start, best.end)).toBe(best.text);
  });

  it('a long message answers with the passage that holds the query’s terms', () => {
    const text = [
      paragraph(100, 'setup'),
      'The login API answers in 250 ms under twenty concurrent requests.',
      paragraph(100, 'closing'),
    ].join('\n\n');
    expect(wordsIn(text)).toBeGreaterThan(WHOLE_TEXT_MAX_WORDS);
    const best = bestPassage(text, queryTerms('How fast does the login API answer?'))!;
    expect(best.text).toContain('login API answers in 250 ms');
    expect(text.slice(best.start, best.end)).toBe(best.text);
    expect(bestPassage('A short message about the login API.', queryTerms('login API'))).toBe(
      undefined,
    );
  });
});

describe('updates', () => {
  const turn = (speaker: string, occurredAt: number, text: string) => ({
    userId: 'dev' as string | null,
    speaker,
    occurredAt,
    text,
    isTurn: true,
  });
  const asked = queryTerms('What is the login API response time?');

  it('lifts a newer restatement by the same speaker just above the older one', () => {
    const cands = [
      turn('user', 1, 'The login API response time is 800 ms.'),
      turn('user', 2, 'Now the login API response time is 250 ms.'),
    ];
    const lifted = liftUpdates(cands, [1, 0.8], asked, 0.5);
    expect(lifted[1]).toBeGreaterThan(lifted[0]!);
    expect(lifted[0]).toBe(1);
  });

  it('reads a question about the present in contractions too', () => {
    expect(asksCurrentState('What’s my sprint deadline?')).toBe(true);
    expect(asksCurrentState("How's the login API response time?")).toBe(true);
    expect(asksCurrentState("Isn't the login API response time 800 ms?")).toBe(true);
    expect(asksCurrentState("Didn't the login API answer in 800 ms?")).toBe(false);
    expect(asksCurrentState('What did I say about Anna’s deadline?')).toBe(false);
    expect(asksCurrentState('When did I first set a rate limit?')).toBe(false);
    expect(asksCurrentState("When did I set the 'latest' rate limit?")).toBe(true);
  });

  it('a newer statement by another user (every user’s speaker is "user") is not an update', () => {
    const alice = { ...turn('user', 1, 'The login API response time is 800 ms.'), userId: 'alice' };
    const bob = { ...turn('user', 2, 'The login API response time is 250 ms.'), userId: 'bob' };
    expect(liftUpdates([alice, bob], [1, 0.8], asked, 0.5)).toEqual([1, 0.8]);
    expect(
      liftUpdates([alice, { ...bob, userId: 'alice' }], [1, 0.8], asked, 0.5)[1],
    ).toBeGreaterThan(1);
  });

  it('in a chain of restatements the newest ranks above every earlier one, not level with one', () => {
    const chain = [
      turn('user', 1, 'The login API response time is 800 ms.'),
      turn('user', 2, 'The login API response time is 500 ms now.'),
      turn('user', 3, 'The login API response time is 250 ms after the cache.'),
    ];
    const lifted = liftUpdates(chain, [1, 0.8, 0.75], asked, 0.3);
    expect(lifted[2]).toBeGreaterThan(lifted[1]!);
    expect(lifted[1]).toBeGreaterThan(lifted[0]!);
  });

  it('leaves other speakers, older restatements, weak matches and a zero weight alone', () => {
    const older = turn('user', 1, 'The login API response time is 800 ms.');
    expect(liftUpdates([older, turn('assistant', 2, older.text)], [1, 0.8], asked, 0.5)).toEqual([
      1, 0.8,
    ]);
    expect(
      liftUpdates(
        [turn('user', 3, older.text), { ...older, occurredAt: 4 }],
        [1, 0.8],
        asked,
        0.5,
      )[1],
    ).toBeGreaterThan(1);
    expect(liftUpdates([older, turn('user', 2, older.text)], [1, 0.2], asked, 0.5)).toEqual([
      1, 0.2,
    ]);
    expect(liftUpdates([older, turn('user', 2, older.text)], [1, 0.8], asked, 0)).toEqual([1, 0.8]);
  });
});

describe('a newer statement that announces a change', () => {
  const turn = (speaker: string, occurredAt: number, text: string, userId = 'dev') => ({
    userId: userId as string | null,
    speaker,
    occurredAt,
    text,
    isTurn: true,
  });
  const asked = queryTerms('What is the request limit per minute for the API with Flask-Limiter?');
  const older = turn('user', 1, 'I set Flask-Limiter to 100 requests per minute on the API.');
  const newer = turn('user', 5, 'I need to handle the new limit of 120 requests per minute.');
  const other = (i: number) => turn('assistant', 2 + i / 100, `Rate limiting answer number ${i}.`);
  const ids = <T>(xs: T[], all: T[]) => xs.map((x) => all.indexOf(x));

  it('reads change words, not look-alikes', () => {
    expect(announcesChange('I adjusted the deadline to April 5.')).toBe(true);
    expect(announcesChange('The NEW limit is 120.')).toBe(true);
    expect(announcesChange('The newsletter goes out on Mondays.')).toBe(false);
  });

  it('comes right above the older statement it restates with fewer query terms', () => {
    const ranked = [other(0), older, other(1), newer, other(2)];
    expect(
      ids(
        reorderChanges(ranked, (x) => x, asked),
        ranked,
      ),
    ).toEqual([0, 3, 1, 2, 4]);
    // The strict lift would not take it: it lacks "Flask-Limiter" and "API".
    expect(liftUpdates([older, newer], [1, 0.9], asked, 0.5)).toEqual([1, 0.9]);
  });

  it('leaves another user, another speaker, an older text, a weak match and no change word alone', () => {
    const unchanged = (n: ReturnType<typeof turn>) => {
      const ranked = [older, other(0), n];
      expect(reorderChanges(ranked, (x) => x, asked)).toEqual(ranked);
    };
    unchanged({ ...newer, userId: 'someone-else' });
    unchanged({ ...newer, speaker: 'assistant' });
    unchanged({ ...newer, occurredAt: 0 });
    unchanged(turn('user', 5, 'The new dashboard is live.'));
    unchanged(turn('user', 5, 'I need to handle a limit of 120 requests per minute.'));
  });

  it('never moves an item into or out of the first REORDER_WINDOW, and keeps every item once', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            speaker: fc.constantFrom('user', 'assistant'),
            occurredAt: fc.integer({ min: 0, max: 5 }),
            text: fc.constantFrom(older.text, newer.text, 'new API limit', 'per minute changed'),
            userId: fc.constantFrom('dev', 'other'),
          }),
          { maxLength: 25 },
        ),
        (specs) => {
          const ranked = specs.map((x) => turn(x.speaker, x.occurredAt, x.text, x.userId));
          const out = reorderChanges(ranked, (x) => x, asked);
          expect(out).toHaveLength(ranked.length);
          expect(new Set(out.slice(0, REORDER_WINDOW))).toEqual(
            new Set(ranked.slice(0, REORDER_WINDOW)),
          );
          expect(out.slice(REORDER_WINDOW)).toEqual(ranked.slice(REORDER_WINDOW));
        },
      ),
    );
  });
});

describe('confidence', () => {
  it('rises with similarity and coverage and stays in [0, 1]', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (vector, coverage) => {
          const c = confidence(DEFAULT_CONFIDENCE, { vector, coverage });
          expect(c).toBeGreaterThanOrEqual(0);
          expect(c).toBeLessThanOrEqual(1);
          expect(
            confidence(DEFAULT_CONFIDENCE, { vector: vector + 0.5, coverage }),
          ).toBeGreaterThanOrEqual(c);
          expect(
            confidence(DEFAULT_CONFIDENCE, { vector, coverage: Math.min(1, coverage + 0.5) }),
          ).toBeGreaterThanOrEqual(c);
        },
      ),
    );
  });

  it('is a number in [0, 1] even when a similarity is not', () => {
    for (const vector of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const c = confidence({ ...DEFAULT_CONFIDENCE, vector: 1 }, { vector, coverage: 0.5 });
      expect(c).toBe(
        confidence({ ...DEFAULT_CONFIDENCE, vector: 1 }, { vector: undefined, coverage: 0.5 }),
      );
      expect(Number.isFinite(confidence(DEFAULT_CONFIDENCE, { vector, coverage: 0.5 }))).toBe(true);
    }
  });

  it('coverage is the share of the query’s content terms the text holds', () => {
    const asked = queryTerms('When does my first sprint end?');
    expect(termCoverage(asked, 'My first sprint ends on March 29.')).toBe(1);
    expect(termCoverage(asked, 'Nothing related.')).toBe(0);
    expect(termCoverage(new Set(), 'anything')).toBe(0);
  });
});
