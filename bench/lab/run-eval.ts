// Lab runner: the real evaluation (SQLite in a temp dir, MemoryService, RecallService) with a
// disk-backed vector cache in front of the local embedder, so repeated runs skip the model.
// Run: npx tsx bench/lab/run-eval.ts [conv-26 …]   (tuning overrides as JSON in LAB_TUNING;
// LAB_JSON=file writes the report, LAB_MISSES=file one line per question with its evidence ranks)
import { writeFileSync } from 'node:fs';
import { loadLocomoFile } from '../../src/eval/locomo-data.js';
import {
  formatLocomoReport,
  runLocomoEval,
  type QuestionOutcome,
} from '../../src/eval/locomo-eval.js';
import { openLab, type LabTuning } from './lab-runtime.js';

const names = process.argv.slice(2);
const files = (
  names.length > 0 ? names : ['conv-26', 'conv-30', 'conv-41', 'conv-42', 'conv-43']
).map((n) => `/work/shared/data/locomo/${n}.json`);
const overrides = JSON.parse(process.env['LAB_TUNING'] ?? '{}') as LabTuning;
const lab = openLab();
const recall = lab.recall(overrides);
try {
  const convs = await Promise.all(files.map((f) => loadLocomoFile(f)));
  const outcomes: QuestionOutcome[] = [];
  const report = await runLocomoEval(convs, {
    memory: lab.memory,
    recall,
    baseline: 'bm25',
    onQuestion: (o) => outcomes.push(o),
  });
  process.stdout.write(`${formatLocomoReport(report)}\n`);
  if (process.env['LAB_JSON'])
    writeFileSync(process.env['LAB_JSON'], JSON.stringify(report, null, 2));
  if (process.env['LAB_MISSES']) writeFileSync(process.env['LAB_MISSES'], missLines(outcomes));
} finally {
  await lab.close();
}

function missLines(outcomes: QuestionOutcome[]): string {
  return outcomes
    .map((o) => {
      const top = o.ranked.slice(0, 10).flat();
      return JSON.stringify({
        conv: o.conversation,
        cat: o.category,
        q: o.question,
        found: o.evidence.filter((e) => top.includes(e)).length / o.evidence.length,
        evidence: o.evidence.map((e) => ({
          id: e,
          rank: o.ranked.findIndex((r) => r.includes(e)) + 1,
        })),
        top: o.items.slice(0, 10).map((it, i) => ({
          ids: o.ranked[i],
          kind: it.kind,
          text: it.text.slice(0, 200),
          score: Math.round(it.score.fused * 1000) / 1000,
        })),
      });
    })
    .join('\n');
}
