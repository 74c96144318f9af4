// The graph evaluation's metric on a handmade SpERT file with an extractor whose answers are
// fixed, so every count and ratio is known: typed and untyped entities, ordered and unordered
// pairs, an inverse phrasing swapped as the graph stores it, and the CoNLL04 kinds.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadGraphSentences } from '../../src/eval/graph-data.js';
import { formatGraphReport, runGraphEval } from '../../src/eval/graph-eval.js';
import { relationKind } from '../../src/graph/predicates.js';
import type { Extraction, Extractor } from '../../src/ports/extractor.js';

const dir = mkdtempSync(join(tmpdir(), 'engram-graph-eval-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = join(dir, 'gold.json');
writeFileSync(
  file,
  JSON.stringify([
    {
      tokens: ['Alice', 'Smith', 'works', 'for', 'Acme', 'Corp', 'in', 'Berlin', '.'],
      entities: [
        { type: 'Peop', start: 0, end: 2 },
        { type: 'Org', start: 4, end: 6 },
        { type: 'Loc', start: 7, end: 8 },
      ],
      relations: [
        { type: 'Work_For', head: 0, tail: 1 },
        { type: 'OrgBased_In', head: 1, tail: 2 },
      ],
    },
    {
      tokens: ['Booth', 'killed', 'Lincoln', 'at', 'the', 'Ford', 'Theatre', '.'],
      entities: [
        { type: 'Peop', start: 0, end: 1 },
        { type: 'Peop', start: 2, end: 3 },
        { type: 'Other', start: 5, end: 7 },
      ],
      relations: [{ type: 'Kill', head: 0, tail: 1 }],
    },
  ]),
);

const answers: Extraction[] = [
  {
    mentions: [
      { surface: 'Alice  SMITH', type: 'person', chunkId: 's0' }, // case and spacing ignored
      { surface: 'Acme Corp', type: 'place', chunkId: 's0' }, // right name, wrong type
      { surface: 'Berlin', type: 'place', chunkId: 's0' },
      { surface: 'Monday', type: 'date', chunkId: 's0' }, // the corpus marks no dates
    ],
    relations: [
      // "Acme Corp hired Alice Smith": the inverse of "works at", stored as Alice → Acme.
      {
        subject: 'Acme Corp',
        subjectType: 'organization',
        object: 'Alice Smith',
        objectType: 'person',
        predicate: 'hire',
        chunkId: 's0',
        sentence: '',
      },
      // Berlin → Acme: the right pair backwards.
      {
        subject: 'Berlin',
        subjectType: 'place',
        object: 'Acme Corp',
        objectType: 'organization',
        predicate: 'host',
        chunkId: 's0',
        sentence: '',
      },
    ],
  },
  {
    mentions: [
      { surface: 'Booth', type: 'person', chunkId: 's1' },
      { surface: 'Lincoln', type: 'place', chunkId: 's1' },
      { surface: 'Ford Theatre', type: 'topic', chunkId: 's1' },
    ],
    relations: [
      {
        subject: 'Booth',
        subjectType: 'person',
        object: 'Lincoln',
        objectType: 'person',
        predicate: 'assassinate',
        chunkId: 's1',
        sentence: '',
      },
    ],
  },
];

const fixed: Extractor = {
  id: 'fixed',
  extract: async (chunks) => answers[Number(chunks[0]!.id.slice(1))]!,
};

describe('engram eval graph', () => {
  it('counts every match exactly', async () => {
    const sentences = await loadGraphSentences(file);
    expect(sentences[0]!.text).toBe('Alice Smith works for Acme Corp in Berlin .');
    const report = await runGraphEval(sentences, fixed);
    // Typed: gold 5 (Other left out); predicted 5 person/organization/place; right: Alice,
    // Berlin, Booth.
    expect(report.entities.typed).toMatchObject({ gold: 5, predicted: 5, correct: 3 });
    expect(report.entities.typed.f1).toBeCloseTo(0.6, 10);
    expect(report.entities.byType['organization']).toMatchObject({ gold: 1, predicted: 0 });
    // Untyped: gold 6; predicted 6 (the date left out); types ignored, so all six names match.
    expect(report.entities.untyped).toMatchObject({ gold: 6, predicted: 6, correct: 6 });
    // Relations: gold 3 pairs; predicted Alice→Acme (swapped), Berlin→Acme, Booth→Lincoln.
    expect(report.relations.ordered).toMatchObject({ gold: 3, predicted: 3, correct: 2 });
    expect(report.relations.unordered).toMatchObject({ gold: 3, predicted: 3, correct: 3 });
    expect(report.relations.byKind['Work_For']).toMatchObject({
      gold: 1,
      predicted: 1,
      correct: 1,
    });
    expect(report.relations.byKind['OrgBased_In']).toMatchObject({ gold: 1, predicted: 0 });
    expect(report.relations.byKind['Kill']).toMatchObject({ gold: 1, predicted: 1, correct: 1 });
    expect(report.relations.ordered.precision).toBeCloseTo(2 / 3, 10);
  });

  it("ignores a final period, which the corpus glues to a sentence's last token", async () => {
    const glued = join(dir, 'glued.json');
    writeFileSync(
      glued,
      JSON.stringify([
        {
          tokens: ['Snow', 'fell', 'in', 'Kosovo.'],
          entities: [{ type: 'Loc', start: 3, end: 4 }],
          relations: [],
        },
      ]),
    );
    const kosovo: Extractor = {
      id: 'fixed',
      extract: async () => ({
        mentions: [{ surface: 'Kosovo', type: 'place', chunkId: 's0' }],
        relations: [],
      }),
    };
    const report = await runGraphEval(await loadGraphSentences(glued), kosovo);
    expect(report.entities.typed).toMatchObject({ gold: 1, predicted: 1, correct: 1 });
  });

  it('counts the sentences an extractor could not read and scores them as finding nothing', async () => {
    const failing: Extractor = {
      id: 'failing',
      extract: async (chunks) => ({
        mentions: [],
        relations: [],
        failures: chunks.map((c) => ({ chunkId: c.id, reason: 'invalid_output', message: 'bad' })),
      }),
    };
    const report = await runGraphEval(await loadGraphSentences(file), failing);
    expect(report.failedSentences).toBe(2);
    expect(report.entities.typed).toMatchObject({ gold: 5, predicted: 0, correct: 0 });
    expect(formatGraphReport(report)).toContain('2 sentences the extractor could not read');
  });

  it('refuses a file that is not the SpERT layout, naming the sentence', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify([
        { tokens: ['a'], entities: [{ type: 'Peop', start: 0, end: 3 }], relations: [] },
      ]),
    );
    await expect(loadGraphSentences(bad)).rejects.toThrow(/sentence 0: entity span outside/);
  });

  it('maps predicates to CoNLL04 kinds by the types of their ends', () => {
    expect(relationKind('lives in', 'person', 'place')).toBe('Live_In');
    expect(relationKind('lives in', 'organization', 'place')).toBe('OrgBased_In');
    expect(relationKind('is headquartered in', 'place', 'place')).toBe('Located_In');
    expect(relationKind('works at', 'person', 'place')).toBeUndefined();
    expect(relationKind('knows', 'person', 'person')).toBeUndefined();
  });
});
