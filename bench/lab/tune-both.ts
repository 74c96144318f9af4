// Lab: ingests the LoCoMo conversations and the BEAM conversations once (real SQLite store,
// MemoryService, cached vectors), then evaluates every tuning in a JSON array file on both with
// the real RecallService: one line per tuning, so a change that helps one kind of conversation
// and hurts the other shows at once.
// Run: npx tsx bench/lab/tune-both.ts tunings.json [BEAM_DIR …]
//   (default: the five LoCoMo files and every BEAM folder under ../shared/data/beam/500K;
//    LAB_LOCOMO=conv-26,conv-41 picks LoCoMo conversations (empty: none); LAB_REPORT=1 prints the
//    BEAM table; LAB_BEAM_MISSES=file writes BEAM misses; LAB_FIT=1 compares confidence models)
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadBeamConversation } from '../../src/eval/beam-data.js';
import {
  formatBeamReport,
  ingestBeam,
  runBeamEval,
  type BeamQuestionOutcome,
} from '../../src/eval/beam-eval.js';
import { loadLocomoFile } from '../../src/eval/locomo-data.js';
import { ingestLocomo, runLocomoEval } from '../../src/eval/locomo-eval.js';
import type { RecallItem } from '../../src/memory/recall/recall-service.js';
import { DEFAULT_CONFIDENCE } from '../../src/memory/recall/confidence.js';
import {
  CONFIDENCE_CANDIDATES,
  fitConfidence,
  reliability,
  type LabeledItem,
} from './fit-confidence.js';
import { openLab, type LabTuning } from './lab-runtime.js';

const DATA = '/work/shared/data';
const [file, ...beamArgs] = process.argv.slice(2);
const tunings = JSON.parse(readFileSync(file!, 'utf8')) as LabTuning[];
const beamDirs =
  beamArgs.length > 0
    ? beamArgs
    : readdirSync(join(DATA, 'beam/500K'))
        .sort((a, b) => Number(a) - Number(b))
        .map((d) => join(DATA, 'beam/500K', d));
const locomoNames = (process.env['LAB_LOCOMO'] ?? 'conv-26,conv-30,conv-41,conv-42,conv-43')
  .split(',')
  .filter((x) => x !== '');
const f3 = (x: number | undefined) => (x ?? 0).toFixed(3);

const lab = openLab();
try {
  const started = Date.now();
  const locomo = await Promise.all(
    locomoNames.map((n) => loadLocomoFile(join(DATA, 'locomo', `${n}.json`))),
  );
  const beam = await Promise.all(beamDirs.map((d) => loadBeamConversation(d)));
  const locomoIngested = await ingestLocomo(locomo, { memory: lab.memory, tenantId: 'default' });
  const beamIngested = await ingestBeam(beam, {
    memory: lab.memory,
    tenantId: 'default',
    onProgress: (e) => {
      if (e.done === e.total) process.stderr.write(`ingested ${e.conversation}\n`);
    },
  });
  process.stderr.write(`ingested in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  for (const t of tunings) {
    const recall = lab.recall(t);
    // Every top-10 item of every answerable question, labelled: is it evidence?
    const labeled: LabeledItem[] = [];
    // The best item of every BEAM question: evidence = answerable (abstention questions: false).
    const tops: LabeledItem[] = [];
    const label = (items: RecallItem[], ranked: unknown[][], evidence: unknown[]) =>
      items.slice(0, 10).forEach((item, i) =>
        labeled.push({
          similarity: item.score.similarity ?? 0,
          coverage: item.score.coverage,
          evidence: ranked[i]!.some((id) => evidence.includes(id)),
        }),
      );
    const lr =
      locomo.length > 0
        ? await runLocomoEval(locomo, {
            memory: lab.memory,
            recall,
            ingested: locomoIngested,
            onQuestion: (o) => label(o.items, o.ranked, o.evidence),
          })
        : undefined;
    const outcomes: BeamQuestionOutcome[] = [];
    const br = await runBeamEval(beam, {
      memory: lab.memory,
      recall,
      ingested: beamIngested,
      baseline: 'bm25',
      onQuestion: (o) => {
        const top = o.items[0];
        if (top)
          tops.push({
            similarity: top.score.similarity ?? 0,
            coverage: top.score.coverage,
            evidence: o.question.ability !== 'abstention',
          });
        if (o.question.ability === 'abstention') return;
        outcomes.push(o);
        label(o.items, o.ranked, o.question.ids);
      },
    });
    if (process.env['LAB_FIT']) {
      const fitted = fitConfidence(labeled);
      process.stdout.write(`confidence fit: ${JSON.stringify(fitted)}\n`);
      for (const model of [DEFAULT_CONFIDENCE, fitted, ...CONFIDENCE_CANDIDATES])
        process.stdout.write(`  ${JSON.stringify(model)} ${reliability(model, labeled, tops)}\n`);
    }
    const abilities = Object.entries(br.byAbility)
      .map(([a, x]) => `${a.slice(0, 6)} ${f3(x.recall[10])}`)
      .join(' ');
    process.stdout.write(
      `LoCoMo R@10 ${f3(lr?.overall.recall[10])} 400w ${f3(lr?.withinWords.overall.recall[10])} | ` +
        `BEAM R@10 ${f3(br.overall.recall[10])} msg@10 ${f3(br.atKMessages.overall.recall[10])} bm25 ${f3(br.baseline?.overall.recall[10])} tok@10 ${(br.tokensInTopK[10] ?? 0).toFixed(0)} KU ${br.knowledgeUpdate.updatedFirst}/${br.knowledgeUpdate.questions} AUROC ${f3(br.abstention.auroc)} p95 ${br.latencyMs.p95.toFixed(0)}ms | ${abilities} | ${JSON.stringify(t)}\n`,
    );
    if (process.env['LAB_REPORT']) process.stdout.write(`${formatBeamReport(br)}\n`);
    if (process.env['LAB_BEAM_MISSES'])
      writeFileSync(
        process.env['LAB_BEAM_MISSES'],
        outcomes
          .map((o) =>
            JSON.stringify({
              conv: o.conversation,
              ability: o.question.ability,
              q: o.question.question,
              evidence: o.question.ids.map((id) => ({
                id,
                rank: o.ranked.findIndex((r) => r.includes(id)) + 1,
              })),
              top: o.items.slice(0, 5).map((i) => `${i.speaker}: ${i.text.slice(0, 80)}`),
            }),
          )
          .join('\n'),
      );
  }
} finally {
  await lab.close();
}
