// Lab: the offline extractor on wink-nlp's tags (src/graph/wink-terms.ts) against the same
// extractor on compromise's: CoNLL04's gold entities and relations (typed entity F1, relation
// F1), agreement with compromise's mentions and relations on the ingest bench's corpus, BEAM
// messages and LoCoMo turns, and speed over each of those and CoNLL04 (alternating in blocks, so
// a loaded machine slows both alike). A measurement for a choice.
//   tsx bench/lab/wink-tagger.ts [rounds]
import { loadGraphSentences } from '../../src/eval/graph-data.js';
import { runGraphEval } from '../../src/eval/graph-eval.js';
import nlp from 'compromise/two';
import { extractTagged, type SentenceJson } from '../../src/graph/local-extractor.js';
const extractChunk = (chunk: ChunkText) =>
  extractTagged(chunk, nlp(chunk.text).json({ offset: true }) as SentenceJson[]);
import { winkSentences } from '../../src/graph/wink-terms.js';
import type { ChunkText, Extraction, Extractor } from '../../src/ports/extractor.js';
import { generateCorpus } from '../suites/ingest.js';
import { beamTexts, locomoTexts } from './lab-texts.js';

const rounds = Number(process.argv[2] ?? 3);
const extractWink = (chunk: ChunkText): Extraction =>
  extractTagged(chunk, winkSentences(chunk.text));

const corpora: Record<string, string[]> = {
  bench: generateCorpus(512 * 1024).flatMap((d) => d.split('\n\n')),
  beam: (await beamTexts(8, 10)).slice(0, 3000),
  locomo: await locomoTexts(['conv-42', 'conv-43']),
};

// Every term's offset points at its text.
let misplaced = 0;
for (const texts of Object.values(corpora))
  for (const text of texts)
    for (const sentence of winkSentences(text))
      for (const term of sentence.terms)
        if (text.slice(term.offset.start, term.offset.start + term.offset.length) !== term.text)
          misplaced++;
console.log(`terms whose offset does not point at their text: ${misplaced}`);

const keySets = (x: Extraction) => ({
  mentions: new Set(x.mentions.map((m) => `${m.surface}|${m.type}`)),
  relations: new Set(x.relations.map((r) => `${r.subject}|${r.predicate}|${r.object}`)),
});
const agreement = (reference: Set<string>, found: Set<string>) => {
  const both = [...found].filter((key) => reference.has(key)).length;
  return { precision: both / Math.max(1, found.size), recall: both / Math.max(1, reference.size) };
};
for (const [name, texts] of Object.entries(corpora)) {
  const ref = { mentions: new Set<string>(), relations: new Set<string>() };
  const got = { mentions: new Set<string>(), relations: new Set<string>() };
  texts.forEach((text, t) => {
    const chunk: ChunkText = { id: `${name}${t}`, ordinal: 0, text };
    const a = keySets(extractChunk(chunk));
    const b = keySets(extractWink(chunk));
    for (const key of a.mentions) ref.mentions.add(`${t}|${key}`);
    for (const key of b.mentions) got.mentions.add(`${t}|${key}`);
    for (const key of a.relations) ref.relations.add(`${t}|${key}`);
    for (const key of b.relations) got.relations.add(`${t}|${key}`);
  });
  const m = agreement(ref.mentions, got.mentions);
  const r = agreement(ref.relations, got.relations);
  console.log(
    `${name}: mentions P/R against compromise's ${m.precision.toFixed(3)}/${m.recall.toFixed(3)} ` +
      `(${ref.mentions.size} theirs, ${got.mentions.size} wink's), relations ` +
      `${r.precision.toFixed(3)}/${r.recall.toFixed(3)} (${ref.relations.size}, ${got.relations.size})`,
  );
}

// CoNLL04: gold entities and relations.
const gold = await loadGraphSentences('../shared/data/graph/conll04_dev.json');
const extractorOf = (id: string, extract: (chunk: ChunkText) => Extraction): Extractor => ({
  id,
  async extract(chunks: ChunkText[]) {
    const parts = chunks.map(extract);
    return {
      mentions: parts.flatMap((p) => p.mentions),
      relations: parts.flatMap((p) => p.relations),
    };
  },
});
for (const extractor of [
  extractorOf('local:compromise', extractChunk),
  extractorOf('lab:wink', extractWink),
]) {
  const report = await runGraphEval(gold, extractor);
  console.log(
    `CoNLL04 ${extractor.id}: entities typed F1 ${report.entities.typed.f1.toFixed(3)} ` +
      `(untyped ${report.entities.untyped.f1.toFixed(3)}), relations ordered F1 ` +
      `${report.relations.ordered.f1.toFixed(3)}, unordered ${report.relations.unordered.f1.toFixed(3)}`,
  );
}

// Speed over each corpus (CoNLL04's sentences too), the two alternating in blocks of 50 texts.
corpora.conll04 = gold.map((sentence) => sentence.text);
for (const [name, texts] of Object.entries(corpora)) {
  const words = texts.reduce((n, text) => n + text.split(/\s+/).length, 0);
  const spent = { compromise: 0, wink: 0 };
  for (const text of texts.slice(0, 100)) {
    extractChunk({ id: 'w', ordinal: 0, text });
    extractWink({ id: 'w', ordinal: 0, text });
  }
  for (let round = 0; round < rounds; round++) {
    for (let from = 0; from < texts.length; from += 50) {
      const block = texts.slice(from, from + 50);
      const order = (round + from / 50) % 2 === 0 ? ['compromise', 'wink'] : ['wink', 'compromise'];
      for (const which of order as Array<keyof typeof spent>) {
        const t0 = performance.now();
        for (const [i, text] of block.entries())
          (which === 'wink' ? extractWink : extractChunk)({ id: `s${i}`, ordinal: 0, text });
        spent[which] += performance.now() - t0;
      }
    }
  }
  const rate = (ms: number) => Math.round((words * rounds) / (ms / 1000)).toLocaleString('en');
  console.log(
    `extraction, ${name} (${texts.length} texts, ${words} words, ${rounds} rounds): ` +
      `compromise ${rate(spent.compromise)} words/s, wink ${rate(spent.wink)} words/s ` +
      `(${(spent.compromise / spent.wink).toFixed(2)}×)`,
  );
}
