// The pure parts of recall: fusion math, intent rules and their cache, time expressions, text
// analysis (Porter stemming, stopwords).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ChatModel } from '../../src/ports/chat-model.js';
import {
  baseScores,
  DEFAULT_WEIGHTS,
  fuse,
  namedSpeakers,
  rankedOrder,
  type Candidate,
} from '../../src/memory/recall/fusion.js';
import { classifyByRules, createIntentClassifier } from '../../src/memory/recall/intent.js';
import { questionShare } from '../../src/memory/recall/recall-candidates.js';
import { porterStem } from '../../src/memory/recall/porter-stemmer.js';
import { terms } from '../../src/memory/recall/text-analysis.js';
import { inTimeMention, parseTimeMention } from '../../src/memory/recall/time-expressions.js';

function cand(id: string, over: Partial<Candidate> = {}): Candidate {
  return {
    id,
    group: 'memory',
    sessionId: 's1',
    seq: null,
    speaker: null,
    turnIds: [id],
    isEpisode: false,
    salience: 0,
    recency: 0,
    tierWeight: 1,
    ...over,
  };
}

const PLAIN = {
  ...DEFAULT_WEIGHTS,
  question: 0,
  neighbour: 0,
  answer: 0,
  speaker: 0,
  salience: 0,
  recency: 0,
  time: 0,
};

describe('fusion', () => {
  it('scales text and vector scores by the best of each list and weights them', () => {
    const cands = [
      cand('a', { text: 8, vector: 0.2 }),
      cand('b', { text: 4, vector: 0.4 }),
      cand('c', { vector: 0.1 }),
    ];
    const { text, vector, base } = baseScores(cands, { ...PLAIN, text: 1, vector: 0.5 });
    expect(text).toEqual([1, 0.5, 0]);
    expect(vector).toEqual([0.5, 1, 0.25]);
    expect(base).toEqual([1.25, 1, 0.125]);
  });

  it('scales each group on its own (engines differ)', () => {
    const { text } = baseScores(
      [cand('a', { text: 10 }), cand('b', { text: 1, group: 'chunk' })],
      PLAIN,
    );
    expect(text).toEqual([1, 1]);
  });

  it('computes reciprocal rank fusion when asked', () => {
    const w = { ...PLAIN, fusion: 'rrf' as const, rrfK: 60, text: 1, vector: 1 };
    const { base } = baseScores(
      [cand('a', { textRank: 1, vectorRank: 1 }), cand('b', { textRank: 2 })],
      w,
    );
    expect(base[0]).toBeCloseTo(2);
    expect(base[1]).toBeCloseTo(61 / 62);
  });

  it('fused score is monotone in text and vector evidence', () => {
    fc.assert(
      fc.property(
        fc.float({ min: 0, max: 100, noNaN: true }),
        fc.float({ min: 0, max: 1, noNaN: true }),
        (t, v) => {
          const cands = [cand('a', { text: t, vector: v }), cand('b', { text: 50, vector: 0.5 })];
          const more = [
            cand('a', { text: t + 1, vector: v }),
            cand('b', { text: 50, vector: 0.5 }),
          ];
          return (
            fuse(more, DEFAULT_WEIGHTS, new Set())[0]!.fused >=
            fuse(cands, DEFAULT_WEIGHTS, new Set())[0]!.fused - 1e-12
          );
        },
      ),
    );
  });

  it('gives question, neighbour, answer, speaker and time credit as weighted', () => {
    const w = { ...PLAIN, question: 0.5, neighbour: 0.5, answer: 1, speaker: 0.5, time: 0.5 };
    const cands = [
      cand('ask', { seq: 1, text: 10, speaker: 'Bob', questionShare: 1 }),
      cand('reply', { seq: 2, text: 1, speaker: 'Ann', inTime: true }),
      cand('tell', { seq: 1, sessionId: 's2', text: 10, speaker: 'Bob' }),
      cand('ep', { isEpisode: true, seq: 2, turnIds: ['ask', 'reply'], text: 5 }),
    ];
    const s = fuse(
      cands,
      w,
      namedSpeakers(
        new Set(['ann', 'said']),
        cands.map((c) => c.speaker),
      ),
    );
    // A question counts half; a statement with the same words counts fully.
    expect(s[0]!.question).toBe(0.5);
    expect(s[0]!.fused).toBeCloseTo(0.5 + 0.5 * 0.1);
    expect(s[2]!.fused).toBeCloseTo(1);
    // The reply takes half of its question's own score, doubled because it answers a question,
    // then the named speaker's boost applies to both parts, then the named time.
    expect(s[1]!.neighbour).toBeCloseTo(0.5 * 0.5 * 2);
    expect(s[1]!.speaker).toBe(0.5);
    expect(s[1]!.time).toBe(0.5);
    expect(s[1]!.fused).toBeCloseTo((0.1 + 0.5) * 1.5 * 1.5);
    expect(s[1]!.fused).toBeGreaterThan(s[0]!.fused);
    // Episodes neither give nor take neighbour credit.
    expect(s[3]!.neighbour).toBe(0);
  });

  it('ranks equal fused scores by time, newest first, and by id only at equal times', () => {
    // Ties happen: reciprocal rank fusion scores rank 1 of the text list as rank 1 of the vectors.
    const rrf = { ...DEFAULT_WEIGHTS, fusion: 'rrf' as const };
    const [onlyText, onlyVector] = fuse(
      [cand('a', { textRank: 1 }), cand('b', { vectorRank: 1 })],
      { ...rrf, text: 1, vector: 1 },
      new Set(),
    );
    expect(onlyText!.fused).toBe(onlyVector!.fused);
    // Ids drawn at random when the memories were stored must not decide: here the older memory
    // has the smaller id, so ordering by id would put it first.
    const items = [
      { fused: 1, occurredAt: 1_000, id: 'mem_a' },
      { fused: 1, occurredAt: 2_000, id: 'mem_b' },
      { fused: 1, occurredAt: null, id: 'mem_0' },
      { fused: 2, occurredAt: 0, id: 'mem_z' },
      { fused: 1, occurredAt: 2_000, id: 'mem_0b' },
    ];
    expect([...items].sort(rankedOrder).map((x) => x.id)).toEqual([
      'mem_z',
      'mem_0b',
      'mem_b',
      'mem_a',
      'mem_0',
    ]);
    // The order is a total one: the same whatever order the items arrive in.
    fc.assert(
      fc.property(fc.shuffledSubarray(items, { minLength: items.length }), (shuffled) => {
        const sorted = [...shuffled].sort(rankedOrder).map((x) => x.id);
        expect(sorted).toEqual([...items].sort(rankedOrder).map((x) => x.id));
      }),
    );
  });
});

describe('question share', () => {
  it('counts the sentences that ask', () => {
    expect(questionShare('How was the trip? We loved it. The kids too!')).toBeCloseTo(1 / 3);
    expect(questionShare('Really? Tell me more.')).toBe(0.5);
    expect(questionShare('Where did you go?')).toBe(1);
    expect(questionShare('...')).toBe(0);
  });
});

describe('intent', () => {
  it('maps queries to intents by rules', () => {
    expect(classifyByRules('When did Caroline go to the support group?').intent).toBe('temporal');
    expect(classifyByRules('what did we just talk about, the latest thing').intent).toBe('recent');
    expect(classifyByRules('What is her favorite book?').intent).toBe('preference');
    expect(classifyByRules('What activities does Melanie partake in?').intent).toBe('aggregate');
    expect(classifyByRules('How does the rate limiter work?').intent).toBe('knowledge');
    expect(classifyByRules('Caroline adoption').intent).toBe('general');
    expect(classifyByRules('How does the API work?').tierWeights.semantic).toBeGreaterThan(1);
  });

  it('caches by normalised query, bounded, and falls back to rules when the model fails', async () => {
    let calls = 0;
    const model: ChatModel = {
      id: 'fake',
      async completeJson<T>(): Promise<T> {
        calls += 1;
        if (calls === 2) throw new Error('model down');
        return { intent: 'knowledge' } as T;
      },
      async close() {},
    };
    const classifier = createIntentClassifier({ mode: 'openai', cacheSize: 1, chatModel: model });
    expect((await classifier.classify('Tell me about X')).intent).toBe('knowledge');
    expect(await classifier.classify('  tell me   ABOUT x ')).toMatchObject({
      intent: 'knowledge',
      source: 'cache',
    });
    expect(calls).toBe(1);
    expect(await classifier.classify('When was it?')).toMatchObject({
      intent: 'temporal',
      source: 'rules',
    });
    // The cache holds one entry: the first query was evicted.
    await classifier.classify('Tell me about X');
    expect(calls).toBe(3);
  });
});

describe('time expressions', () => {
  const anchor = Date.UTC(2023, 6, 15, 12);
  it('parses absolute and relative times', () => {
    expect(parseTimeMention('What happened in 2022?', anchor)?.window).toEqual({
      from: Date.UTC(2022, 0, 1),
      to: Date.UTC(2023, 0, 1),
    });
    expect(parseTimeMention('plans for June 2023', anchor)?.window).toEqual({
      from: Date.UTC(2023, 5, 1),
      to: Date.UTC(2023, 6, 1),
    });
    expect(parseTimeMention('on 8 May, 2023', anchor)?.window?.from).toBe(Date.UTC(2023, 4, 8));
    expect(parseTimeMention('what did I say yesterday', anchor)?.window).toEqual({
      from: Date.UTC(2023, 6, 14),
      to: Date.UTC(2023, 6, 15),
    });
    expect(parseTimeMention('last June', anchor)?.window?.from).toBe(Date.UTC(2023, 5, 1));
    expect(parseTimeMention('last August', anchor)?.window?.from).toBe(Date.UTC(2022, 7, 1));
    expect(parseTimeMention('last month', anchor)?.window?.from).toBe(Date.UTC(2023, 5, 1));
    expect(parseTimeMention('two weeks ago', anchor)?.window?.from).toBeLessThan(
      Date.UTC(2023, 6, 1),
    );
    expect(parseTimeMention('camping in June', anchor)?.monthOfYear).toBe(5);
    expect(parseTimeMention('I may go camping', anchor)).toBeUndefined();
    expect(parseTimeMention('Where does Caroline live?', anchor)).toBeUndefined();
  });
  it('matches times with slack after the named time', () => {
    const june = parseTimeMention('camping in June', anchor)!;
    expect(inTimeMention(june, Date.UTC(2021, 5, 3))).toBe(true);
    expect(inTimeMention(june, Date.UTC(2023, 6, 3))).toBe(false);
    expect(inTimeMention(june, Date.UTC(2023, 6, 3), 7 * 86_400_000)).toBe(true);
  });
});

describe('text analysis', () => {
  it('stems like Porter', () => {
    const pairs: Array<[string, string]> = [
      ['caresses', 'caress'],
      ['ponies', 'poni'],
      ['hopping', 'hop'],
      ['relational', 'relat'],
      ['generalizations', 'gener'],
      ['camping', 'camp'],
      ['camped', 'camp'],
      ['adoption', 'adopt'],
    ];
    for (const [word, stem] of pairs) expect(porterStem(word)).toBe(stem);
  });
  it('keeps content terms only', () => {
    expect(terms("What did Caroline's kids like about the camping trips?")).toEqual([
      'carolin',
      'kid',
      'camp',
      'trip',
    ]);
  });
});
