// The LoCoMo evaluation on a tiny conversation in LoCoMo's format: parsing (dates, captions,
// packed evidence, annotations ignored), ingestion through MemoryService, recall@k per category,
// the BM25 baseline column, and the printed table.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseLocomo, parseLocomoDate } from '../../src/eval/locomo-data.js';
import { formatLocomoReport, runLocomoEval } from '../../src/eval/locomo-eval.js';
import { openEvalStack } from './eval-stack.js';

const raw = {
  speaker_a: 'Caroline',
  speaker_b: 'Melanie',
  session_1_date_time: '1:56 pm on 8 May, 2023',
  session_1: [
    { speaker: 'Caroline', dia_id: 'D1:1', text: 'I went to a LGBTQ support group yesterday.' },
    {
      speaker: 'Melanie',
      dia_id: 'D1:2',
      text: 'That is great! I painted a lake sunrise.',
      blip_caption: 'a painting of a sunrise',
    },
  ],
  session_1_summary: 'SECRET SUMMARY about pottery',
  session_2_date_time: '10:00 am on 27 June, 2023',
  session_2: [
    { speaker: 'Melanie', dia_id: 'D2:1', text: 'We went camping in the mountains.' },
    { speaker: 'Caroline', dia_id: 'D2:2', text: 'I am researching adoption agencies.' },
  ],
  qa: [
    {
      question: 'When did Caroline go to the support group?',
      answer: '7 May 2023',
      evidence: ['D1:1'],
      category: 2,
    },
    {
      question: 'What did Melanie paint and where did she camp?',
      answer: 'x',
      evidence: ['D1:2; D2:1'],
      category: 1,
    },
    {
      question: 'What did Caroline research?',
      answer: 'adoption agencies',
      evidence: ['D2:2'],
      category: 4,
    },
    { question: 'What is Melanie pottery?', answer: 'none', evidence: ['D1:1'], category: 5 },
  ],
};

describe('LoCoMo evaluation', () => {
  it('parses turns with session dates and captions, and splits packed evidence', () => {
    expect(parseLocomoDate('1:56 pm on 8 May, 2023').toISOString()).toBe(
      '2023-05-08T13:56:00.000Z',
    );
    expect(parseLocomoDate('12:05 am on 1 January, 2024').toISOString()).toBe(
      '2024-01-01T00:05:00.000Z',
    );
    const conv = parseLocomo('conv-test', raw);
    expect(conv.sessions.map((s) => s.turns.length)).toEqual([2, 2]);
    expect(conv.sessions[0]!.turns[1]!.content).toContain('a painting of a sunrise');
    expect(conv.sessions[0]!.turns[1]!.at.getTime()).toBe(Date.UTC(2023, 4, 8, 13, 56, 1));
    expect(conv.questions[1]!.evidence).toEqual(['D1:2', 'D2:1']);
    expect(JSON.stringify(conv.sessions)).not.toContain('SECRET');
  });

  it('ingests through MemoryService, recalls every non-adversarial question and reports recall@k', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'engram-locomo-'));
    const { store, memory, recall, close } = openEvalStack(join(dir, 'engram.db'));
    try {
      const report = await runLocomoEval([parseLocomo('conv-test', raw)], {
        memory,
        recall,
        ks: [1, 5],
        baseline: 'bm25',
      });
      expect(report.overall.questions).toBe(3);
      expect(report.skipped).toEqual({ adversarial: 1, noEvidence: 0 });
      expect(report.overall.recall[5]).toBe(1);
      expect(report.byCategory['single-hop']?.recall[1]).toBe(1);
      expect(report.baseline?.overall.questions).toBe(3);
      expect(report.ingest.turns).toBe(4);
      expect(report.latencyMs.count).toBe(3);
      expect(
        await store.countMemories({
          tenantId: 'default',
          userId: 'locomo-conv-test',
          kinds: ['turn'],
        }),
      ).toBe(4);
      // Every text here is short, so a 200-word reading budget holds all five items.
      expect(report.withinWords.overall.recall[5]).toBe(report.overall.recall[5]);
      expect(report.withinWords.overall.questions).toBe(3);
      const table = formatLocomoReport(report);
      expect(table).toMatch(/overall\s+3\s+/);
      expect(table).toContain('cut at 40·k words');
      expect(table).toContain('multi-hop');
    } finally {
      await close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
