// The BEAM evaluation on a tiny conversation in BEAM's own layout, written as folder files:
// parsing (time anchors, the generation marker stripped, evidence objects flattened), ingestion
// through MemoryService (roles as speakers, one session per batch), recall@k per ability, the
// knowledge-update order, abstention AUROC, the BM25 column, and the printed table.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isAppError } from '../../src/domain/errors.js';
import { loadBeamConversation, parseBeamChat, parseBeamDate } from '../../src/eval/beam-data.js';
import { formatBeamReport, runBeamEval, turnParts } from '../../src/eval/beam-eval.js';
import { MAX_TURN_CHARS } from '../../src/memory/memory-service.js';
import { auroc } from '../../src/eval/recall-metrics.js';
import { openEvalStack } from './eval-stack.js';

const chat = [
  {
    batch_number: 1,
    turns: [
      [
        {
          role: 'user',
          id: 0,
          time_anchor: 'March-15-2024',
          index: '1,1',
          question_type: 'main_question',
          content: 'My first sprint ends on March 29, can you help me plan the backlog? ->-> 1,1',
        },
        { role: 'assistant', id: 1, content: 'Sure. Start with the login flow and the database.' },
      ],
      [
        { role: 'user', id: 2, content: 'The login API answers in 800 ms under 20 requests.' },
        { role: 'assistant', id: 3, content: 'Add an index on the users table to speed it up.' },
      ],
    ],
  },
  {
    batch_number: 2,
    turns: [
      [
        {
          role: 'user',
          id: 4,
          time_anchor: 'April-02-2024',
          content: 'Good news: the login API now answers in 250 ms under 20 requests. ->-> 2,1',
        },
        { role: 'assistant', id: 5, content: 'Great improvement on the login latency.' },
      ],
    ],
  },
];

const questions = {
  information_extraction: [
    { question: 'When does my first sprint end?', answer: 'March 29', source_chat_ids: [0] },
  ],
  knowledge_update: [
    {
      question: 'What is the login API response time under 20 requests?',
      answer: '250 ms',
      source_chat_ids: { original_info: [2], updated_info: [4] },
    },
  ],
  abstention: [{ question: 'What did my manager say about the budget?', ideal_response: 'none' }],
  summarization: [{ question: 'Summarise the plan.', ideal_summary: 'x', source_chat_ids: null }],
  event_ordering: [
    {
      question: 'In what order did I bring things up?',
      answer: 'x',
      source_chat_ids: [[0], [2, [4]]],
    },
  ],
};

const root = mkdtempSync(join(tmpdir(), 'engram-beam-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function writeConversation(): string {
  const dir = join(root, '500K', '7');
  mkdirSync(join(dir, 'probing_questions'), { recursive: true });
  writeFileSync(join(dir, 'chat.json'), JSON.stringify(chat));
  writeFileSync(
    join(dir, 'probing_questions', 'probing_questions.json'),
    JSON.stringify(questions),
  );
  return dir;
}

describe('BEAM evaluation', () => {
  it('parses batches at their anchors, strips the marker and flattens evidence', async () => {
    expect(parseBeamDate('March-15-2024').toISOString()).toBe('2024-03-15T00:00:00.000Z');
    expect(() => parseBeamDate('15/03/2024')).toThrow(/time anchor/);
    const conv = await loadBeamConversation(writeConversation());
    expect(conv.name).toBe('beam-500K-7');
    expect(conv.batches.map((b) => b.messages.map((m) => m.id))).toEqual([
      [0, 1, 2, 3],
      [4, 5],
    ]);
    const first = conv.batches[0]!.messages[0]!;
    expect(first.content).toBe(
      'My first sprint ends on March 29, can you help me plan the backlog?',
    );
    expect(first.role).toBe('user');
    expect(conv.batches[1]!.messages[0]!.at.toISOString()).toBe('2024-04-02T00:00:00.000Z');
    const ku = conv.questions.find((q) => q.ability === 'knowledge_update')!;
    expect(ku).toMatchObject({ ids: [2, 4], original: [2], updated: [4] });
    const order = conv.questions.find((q) => q.ability === 'event_ordering')!;
    expect(order.ids).toEqual([0, 2, 4]);
  });

  it('a malformed conversation is refused with a message naming the place, not a crash', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [[null], /batch 1 is not an object/],
      [[{ batch_number: 1, turns: 'x' }], /batch 1: "turns" is not a list/],
      [[{ turns: [[null]] }], /batch 1, message 1 is not an object/],
      [
        [{ turns: [] }, { turns: [[{ role: 'user', id: '4', content: 'x' }]] }],
        /batch 2, message 1 has id "4"/,
      ],
      [[{ turns: [[{ role: 'user', id: 1.5, content: 'x' }]] }], /id 1.5, not a whole number/],
      [[{ turns: [[{ role: 'assistant', id: 1 }]] }], /message 1 has no "content"/],
    ];
    for (const [raw, message] of cases) {
      let error: unknown;
      try {
        parseBeamChat('beam-x', raw);
      } catch (caught) {
        error = caught;
      }
      expect(isAppError(error) && error.code).toBe('VALIDATION_FAILED');
      expect((error as Error).message).toMatch(message);
    }
    // Messages of other roles are skipped unread; empty ones are dropped.
    const batches = parseBeamChat('beam-x', [
      {
        turns: [
          [
            { role: 'system' },
            { role: 'user', id: 0, content: ' ' },
            { role: 'user', id: 1, content: 'hi' },
          ],
        ],
      },
    ]);
    expect(batches[0]!.messages.map((m) => m.id)).toEqual([1]);
    // A folder without the files says what a conversation folder holds.
    await expect(loadBeamConversation(root)).rejects.toThrow(/chat\.json and probing_questions/);
  });

  it('a message longer than a turn is sent as turns that never split a surrogate pair', () => {
    const content = `${'a'.repeat(MAX_TURN_CHARS - 1)}😀${'b'.repeat(10)}`;
    const parts = turnParts(content);
    expect(parts.join('')).toBe(content);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(MAX_TURN_CHARS);
      expect(/[\uD800-\uDBFF]$/.test(part)).toBe(false);
    }
  });

  it('AUROC is the chance a positive outscores a negative, ties half', () => {
    expect(auroc([0.9, 0.8], [0.1, 0.2])).toBe(1);
    expect(auroc([0.1], [0.9])).toBe(0);
    expect(auroc([0.5], [0.5])).toBe(0.5);
    expect(auroc([], [1])).toBeNaN();
  });

  it('ingests through MemoryService and reports recall, update order and abstention', async () => {
    const conv = await loadBeamConversation(writeConversation());
    const { store, memory, recall, close } = openEvalStack(join(root, 'engram.db'));
    try {
      const report = await runBeamEval([conv], { memory, recall, ks: [1, 5], baseline: 'bm25' });
      expect(report.overall.questions).toBe(3);
      expect(report.skipped.noEvidence).toBe(1);
      expect(report.byAbility['information_extraction']?.recall[1]).toBe(1);
      expect(report.overall.recall[5]).toBe(1);
      expect(report.baseline?.overall.questions).toBe(3);
      expect(report.knowledgeUpdate).toMatchObject({ questions: 1, updatedFirst: 1 });
      expect(report.abstention).toMatchObject({ answerable: 3, abstention: 1 });
      expect(report.abstention.auroc).toBeGreaterThanOrEqual(0);
      expect(report.tokensInTopK[1]).toBeGreaterThan(0);
      expect(report.ingest.messages).toBe(6);
      const turns = await store.countMemories({
        tenantId: 'default',
        userId: 'beam-500K-7',
        kinds: ['turn'],
      });
      expect(turns).toBe(6);
      const table = formatBeamReport(report);
      expect(table).toMatch(/overall\s+3\s+/);
      expect(table).toContain('knowledge update');
      expect(table).toContain('abstention: AUROC');
    } finally {
      await close();
    }
  });
});
