// Lab: ingests the LoCoMo conversations once (real SQLite store, MemoryService, cached vectors),
// then evaluates every tuning in a JSON array file against the real RecallService.
// Run: npx tsx bench/lab/tune.ts tunings.json [conv-26 …]
import { readFileSync } from 'node:fs';
import { loadLocomoFile } from '../../src/eval/locomo-data.js';
import { ingestLocomo, runLocomoEval } from '../../src/eval/locomo-eval.js';
import { openLab, type LabTuning } from './lab-runtime.js';

const [file, ...names] = process.argv.slice(2);
const tunings = JSON.parse(readFileSync(file!, 'utf8')) as LabTuning[];
const lab = openLab();
try {
  const convs = await Promise.all(
    (names.length > 0 ? names : ['conv-26', 'conv-30', 'conv-41', 'conv-42', 'conv-43']).map((n) =>
      loadLocomoFile(`/work/shared/data/locomo/${n}.json`),
    ),
  );
  const ingested = await ingestLocomo(convs, { memory: lab.memory, tenantId: 'default' });
  for (const t of tunings) {
    const recall = lab.recall(t);
    const cut = new Map<string, number[]>();
    const r = await runLocomoEval(convs, {
      memory: lab.memory,
      recall,
      ingested,
      onQuestion: (o) => {
        const firstTurns = new Set([...new Set(o.ranked.flat())].slice(0, 10));
        const found = o.evidence.filter((e) => firstTurns.has(e)).length / o.evidence.length;
        cut.set(o.conversation, [...(cut.get(o.conversation) ?? []), found]);
      },
    });
    const conv = Object.values(r.byConversation).map((x) => (x.recall[10] ?? 0).toFixed(3));
    const turnsCut = [...cut.values()].map((v) =>
      (v.reduce((a, b) => a + b, 0) / v.length).toFixed(3),
    );
    const cat = Object.values(r.byCategory).map((x) => (x.recall[10] ?? 0).toFixed(3));
    process.stdout.write(
      `R@10 ${(r.overall.recall[10] ?? 0).toFixed(3)} R@5 ${(r.overall.recall[5] ?? 0).toFixed(3)} R@25 ${(r.overall.recall[25] ?? 0).toFixed(3)} turns@10 ${(r.atKTurns.overall.recall[10] ?? 0).toFixed(3)} words@10 ${(r.wordsInTopK[10] ?? 0).toFixed(0)} at400w ${(r.withinWords.overall.recall[10] ?? 0).toFixed(3)} | cat ${cat.join(' ')} | conv ${conv.join(' ')} | cut ${turnsCut.join(' ')} | ${JSON.stringify(t)}\n`,
    );
  }
} finally {
  await lab.close();
}
