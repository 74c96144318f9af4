// Lab: per-sentence misses and wrong guesses of the offline extractor on a SpERT file (use only
// on the half you may read). npx tsx bench/lab/graph-misses.ts /tmp/first.json
import { createLocalExtractor } from '../../src/graph/create-local-extractor.js';
import { normalizePredicate } from '../../src/graph/predicates.js';
import { loadGraphSentences } from '../../src/eval/graph-data.js';

const norm = (s: string) =>
  s
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/\s?\.$/, '');
const GOLD: Record<string, string> = { Peop: 'person', Org: 'organization', Loc: 'place' };
const sentences = await loadGraphSentences(process.argv[2]!);
const extractor = createLocalExtractor();
for (const [i, s] of sentences.entries()) {
  const { mentions, relations } = await extractor.extract([
    { id: `s${i}`, ordinal: 0, text: s.text },
  ]);
  const gold = new Set(
    s.entities.filter((e) => GOLD[e.type]).map((e) => `${GOLD[e.type]}:${norm(e.surface)}`),
  );
  const pred = new Set(
    mentions
      .filter((m) => ['person', 'organization', 'place'].includes(m.type))
      .map((m) => `${m.type}:${norm(m.surface)}`),
  );
  const goldRel = new Map(s.relations.map((r) => [`${norm(r.head)} > ${norm(r.tail)}`, r.type]));
  const predRel = new Map(
    relations.map((r) => {
      const { key, inverse } = normalizePredicate(r.predicate);
      const [h, t] = inverse ? [r.object, r.subject] : [r.subject, r.object];
      return [`${norm(h)} > ${norm(t)}`, key];
    }),
  );
  const lines: string[] = [];
  for (const g of gold) if (!pred.has(g)) lines.push(`  E-miss ${g}`);
  for (const p of pred) if (!gold.has(p)) lines.push(`  E-wrong ${p}`);
  for (const [k, t] of goldRel) if (!predRel.has(k)) lines.push(`  R-miss ${t}: ${k}`);
  for (const [k, t] of predRel) if (!goldRel.has(k)) lines.push(`  R-wrong ${t}: ${k}`);
  if (lines.length) console.log(`#${i} ${s.text}\n${lines.join('\n')}`);
}
