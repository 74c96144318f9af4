// Lab: where the offline extractor's time goes, over the ingest bench's corpus cut into
// paragraphs: compromise's parse (tokenising, then each of its compute steps), its JSON output,
// and the extractor's own work.
//   tsx bench/lab/extraction-parts.ts [bytes]
import nlp from 'compromise/two';
import { extractChunk } from '../../src/graph/local-extractor.js';
import { generateCorpus } from '../suites/ingest.js';

const bytes = Number(process.argv[2] ?? 512 * 1024);
const texts = generateCorpus(bytes).flatMap((d) => d.split('\n\n'));
const time = (run: () => unknown) => {
  const t0 = performance.now();
  run();
  return performance.now() - t0;
};
// compromise's tokeniser and the steps nlp() runs after it (its world's hooks), for timing apart.
const tokenize = (text: string) =>
  (nlp as unknown as { tokenize(text: string): ReturnType<typeof nlp> }).tokenize(text);
const hooks = (nlp.world() as unknown as { hooks: string[] }).hooks;
// Warm the tagger's lexicon and the JIT first.
for (const text of texts.slice(0, 200)) extractChunk({ id: 'c', ordinal: 0, text });
const steps = new Map<string, number>([['tokenise', 0], ...hooks.map((h) => [h, 0] as const)]);
let json = 0;
let whole = 0;
for (const text of texts) {
  let doc: ReturnType<typeof nlp> | undefined;
  steps.set('tokenise', steps.get('tokenise')! + time(() => (doc = tokenize(text))));
  for (const hook of hooks) steps.set(hook, steps.get(hook)! + time(() => doc!.compute(hook)));
  json += time(() => {
    doc!.json({ offset: true });
  });
  whole += time(() => extractChunk({ id: 'c', ordinal: 0, text }));
}
const parse = [...steps.values()].reduce((a, b) => a + b, 0);
const words = texts.reduce((n, t) => n + t.split(/\s+/).length, 0);
const share = (ms: number) =>
  `${ms.toFixed(0).padStart(6)} ms ${((ms / whole) * 100).toFixed(0).padStart(3)}%`;
console.log(`${texts.length} paragraphs, ${words} words, ${(bytes / 1024).toFixed(0)} kB`);
console.log(
  `extractChunk   ${whole.toFixed(0)} ms (${((words / whole) * 1000).toFixed(0)} words/s)`,
);
console.log(`  the parse    ${share(parse)}`);
for (const [step, ms] of steps)
  if (ms >= 0.01 * whole) console.log(`    ${step.padEnd(14)} ${share(ms)}`);
console.log(`  .json()      ${share(json)}`);
console.log(`  the rest     ${share(Math.max(0, whole - parse - json))}`);
