// Lab: could a tagger distilled from compromise make the offline extractor cheap enough for the
// ingestion goal (issue #14: ~5× cheaper)? An averaged perceptron learns, from compromise's own
// output on the ingest bench's corpus, BEAM and LoCoMo, the tags the extractor reads (one label
// per term: the sorted set of them); then, on texts it did not learn from, this reports its
// agreement with compromise, its speed against compromise's parse and tokeniser, and what the
// extractor finds from its tags: the same mentions and relations as from compromise's, and
// CoNLL04's gold entities and relations (the graph evaluation's scoring).
//   tsx bench/lab/distilled-tagger.ts   (env: EPOCHS, default 5)
import nlp from 'compromise/two';
import { loadGraphSentences } from '../../src/eval/graph-data.js';
import { runGraphEval } from '../../src/eval/graph-eval.js';
import { extractChunk, extractTagged, type SentenceJson } from '../../src/graph/local-extractor.js';
import type { TermJson } from '../../src/graph/tagged-terms.js';
import type { ChunkText, Extraction, Extractor } from '../../src/ports/extractor.js';
import { generateCorpus } from '../suites/ingest.js';
import { beamTexts, locomoTexts } from './lab-texts.js';

/** Every tag the extractor's code tests for (src/graph/*.ts). */
const READ_TAGS = new Set(
  (
    'Noun Adjective Verb Pronoun Value Honorific Actor ProperNoun Place Person Determiner ' +
    'Possessive Passive Money FirstName Conjunction Acronym Abbreviation Year Uncountable ' +
    'QuestionWord Preposition Percent PastTense Particle Participle Organization Negative Month ' +
    'Modal LastName Gerund Demonym Date Copula Cardinal Auxiliary Adverb WeekDay PresentTense ' +
    'Infinitive'
  ).split(' '),
);

const benchDocs = generateCorpus(768 * 1024).flatMap((d) => d.split('\n\n'));
const cut = Math.floor(benchDocs.length * 0.75);
const train = [
  ...benchDocs.slice(0, cut),
  ...(await beamTexts(1, 7)).slice(0, 12000),
  ...(await locomoTexts(['conv-26', 'conv-30', 'conv-41'])),
];
const test: Record<string, string[]> = {
  bench: benchDocs.slice(cut),
  beam: (await beamTexts(8, 10)).slice(0, 3000),
  locomo: await locomoTexts(['conv-42', 'conv-43']),
};

const parse = (text: string) => nlp(text).json({ offset: true }) as SentenceJson[];
const labelOf = (term: TermJson) =>
  term.tags
    .filter((tag) => READ_TAGS.has(tag))
    .sort()
    .join('|');

// compromise's lexicon: a word's tag there is a strong feature for words never seen in training.
const lexicon = (
  nlp as unknown as { model(): { one: { lexicon: Record<string, string> } } }
).model().one.lexicon;

function shape(text: string): string {
  return text
    .replace(/\p{Lu}/gu, 'X')
    .replace(/\p{Ll}/gu, 'x')
    .replace(/\p{N}/gu, 'd')
    .replace(/(.)\1+/gu, '$1$1');
}

/** The features of term i, given the labels already chosen for the terms before it. */
function features(terms: TermJson[], i: number, previous: string[]): string[] {
  const term = terms[i]!;
  const word = term.normal || term.text.toLowerCase();
  const before = terms[i - 1];
  const after = terms[i + 1];
  const p1 = previous[i - 1] ?? '<s>';
  const p2 = previous[i - 2] ?? '<s>';
  const next = after?.normal ?? '</s>';
  return [
    'b',
    `w=${word}`,
    `s3=${word.slice(-3)}`,
    `s2=${word.slice(-2)}`,
    `s1=${word.slice(-1)}`,
    `sh=${shape(term.text)}`,
    `first=${i === 0}|${/^\p{Lu}/u.test(term.text)}`,
    `lex=${lexicon[word] ?? '-'}`,
    `post=${term.post.trim()}`,
    `pre=${(term.pre ?? '').trim()}`,
    `p1=${p1}`,
    `p12=${p1}|${p2}`,
    `p1w=${p1}|${word}`,
    `pw=${before?.normal ?? '<s>'}`,
    `nw=${next}`,
    `ns3=${next.slice(-3)}`,
    `nsh=${after === undefined ? '</s>' : shape(after.text)}`,
    `nlex=${lexicon[next] ?? '-'}`,
  ];
}

class AveragedPerceptron {
  readonly labels: string[] = [];
  private readonly index = new Map<string, number>();
  private weights = new Map<string, Map<number, number>>();
  private readonly totals = new Map<string, number>();
  private readonly stamps = new Map<string, number>();
  private instances = 0;

  labelIndex(label: string): number {
    let i = this.index.get(label);
    if (i === undefined) {
      i = this.labels.length;
      this.labels.push(label);
      this.index.set(label, i);
    }
    return i;
  }

  predict(feats: string[]): number {
    const scores = new Float64Array(this.labels.length);
    for (const f of feats) {
      const w = this.weights.get(f);
      if (w === undefined) continue;
      for (const [label, weight] of w) scores[label]! += weight;
    }
    let best = 0;
    for (let i = 1; i < scores.length; i++) if (scores[i]! > scores[best]!) best = i;
    return best;
  }

  update(truth: number, guess: number, feats: string[]): void {
    this.instances++;
    if (truth === guess) return;
    for (const f of feats) {
      let w = this.weights.get(f);
      if (w === undefined) this.weights.set(f, (w = new Map<number, number>()));
      for (const [label, delta] of [
        [truth, 1],
        [guess, -1],
      ] as const) {
        const key = `${f}\u0000${label}`;
        const current = w.get(label) ?? 0;
        this.totals.set(
          key,
          (this.totals.get(key) ?? 0) + (this.instances - (this.stamps.get(key) ?? 0)) * current,
        );
        this.stamps.set(key, this.instances);
        w.set(label, current + delta);
      }
    }
  }

  average(): void {
    const averaged = new Map<string, Map<number, number>>();
    for (const [f, w] of this.weights) {
      const out = new Map<number, number>();
      for (const [label, weight] of w) {
        const key = `${f}\u0000${label}`;
        const total =
          (this.totals.get(key) ?? 0) + (this.instances - (this.stamps.get(key) ?? 0)) * weight;
        const mean = total / this.instances;
        if (Math.abs(mean) > 1e-9) out.set(label, mean);
      }
      if (out.size > 0) averaged.set(f, out);
    }
    this.weights = averaged;
  }

  get featureCount(): number {
    return this.weights.size;
  }

  /** The averaged weights as one dense row per feature: what a shipped tagger would load. */
  compile(): { rows: Map<string, number>; weights: Float32Array; labels: string[] } {
    const rows = new Map<string, number>();
    const width = this.labels.length;
    const weights = new Float32Array(this.weights.size * width);
    for (const [f, w] of this.weights) {
      const row = rows.size;
      rows.set(f, row);
      for (const [label, weight] of w) weights[row * width + label] = weight;
    }
    return { rows, weights, labels: this.labels };
  }
}

/** Tags a sentence with compiled weights (dense rows, one scores array reused). */
function compiledTagger(compiled: ReturnType<AveragedPerceptron['compile']>) {
  const { rows, weights, labels } = compiled;
  const width = labels.length;
  const scores = new Float32Array(width);
  return (terms: TermJson[]): string[] => {
    const out: string[] = [];
    for (let i = 0; i < terms.length; i++) {
      scores.fill(0);
      for (const f of features(terms, i, out)) {
        const row = rows.get(f);
        if (row === undefined) continue;
        const base = row * width;
        for (let l = 0; l < width; l++) scores[l]! += weights[base + l]!;
      }
      let best = 0;
      for (let l = 1; l < width; l++) if (scores[l]! > scores[best]!) best = l;
      out.push(labels[best]!);
    }
    return out;
  };
}

function tagSentence(model: AveragedPerceptron, terms: TermJson[]): string[] {
  const labels: string[] = [];
  for (let i = 0; i < terms.length; i++)
    labels.push(model.labels[model.predict(features(terms, i, labels))]!);
  return labels;
}

// Training data: compromise's sentences and labels.
let t0 = performance.now();
const trainSentences = train.flatMap(parse).filter((s) => s.terms.length > 0);
console.log(
  `train: ${train.length} texts, ${trainSentences.length} sentences, ${trainSentences.reduce((n, s) => n + s.terms.length, 0)} terms (parsed in ${((performance.now() - t0) / 1000).toFixed(1)} s)`,
);
const model = new AveragedPerceptron();
const epochs = Number(process.env.EPOCHS ?? 5);
let order = trainSentences.map((_, i) => i);
let seed = 7;
const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
for (let epoch = 0; epoch < epochs; epoch++) {
  let correct = 0;
  let total = 0;
  for (const i of order) {
    const terms = trainSentences[i]!.terms;
    const labels: string[] = [];
    for (let j = 0; j < terms.length; j++) {
      const feats = features(terms, j, labels);
      const guess = model.predict(feats);
      const truth = model.labelIndex(labelOf(terms[j]!));
      model.update(truth, guess, feats);
      // Trained on its own previous guesses, as it tags.
      labels.push(model.labels[guess] ?? model.labels[truth]!);
      if (guess === truth) correct++;
      total++;
    }
  }
  order = order.toSorted(() => rand() - 0.5);
  console.log(`epoch ${epoch + 1}: training accuracy ${(correct / total).toFixed(4)}`);
}
model.average();
console.log(`${model.labels.length} labels, ${model.featureCount} features`);

const NAME_TAGS = ['Person', 'Place', 'Organization', 'ProperNoun', 'Date', 'Value'];
const withTags = (sentences: SentenceJson[], labels: string[][]): SentenceJson[] =>
  sentences.map((s, i) => ({
    ...s,
    terms: s.terms.map((term, j) => ({ ...term, tags: labels[i]![j]!.split('|') })),
  }));

const keySets = (x: Extraction) => ({
  mentions: new Set(x.mentions.map((m) => `${m.surface}|${m.type}`)),
  relations: new Set(x.relations.map((r) => `${r.subject}|${r.predicate}|${r.object}`)),
});
const agreement = (reference: Set<string>, found: Set<string>) => {
  const both = [...found].filter((key) => reference.has(key)).length;
  return { precision: both / Math.max(1, found.size), recall: both / Math.max(1, reference.size) };
};

for (const [name, texts] of Object.entries(test)) {
  const parsed = texts.map(parse);
  let terms = 0;
  let same = 0;
  let nameTerms = 0;
  let nameSame = 0;
  const refMentions = new Set<string>();
  const gotMentions = new Set<string>();
  const refRelations = new Set<string>();
  const gotRelations = new Set<string>();
  texts.forEach((text, t) => {
    const sentences = parsed[t]!;
    const labels = sentences.map((s) => tagSentence(model, s.terms));
    sentences.forEach((s, i) =>
      s.terms.forEach((term, j) => {
        const truth = labelOf(term);
        terms++;
        if (labels[i]![j] === truth) same++;
        if (NAME_TAGS.some((tag) => term.tags.includes(tag))) {
          nameTerms++;
          if (labels[i]![j] === truth) nameSame++;
        }
      }),
    );
    const chunk: ChunkText = { id: `${name}${t}`, ordinal: 0, text };
    const ref = keySets(extractTagged(chunk, sentences));
    const got = keySets(extractTagged(chunk, withTags(sentences, labels)));
    for (const key of ref.mentions) refMentions.add(`${t}|${key}`);
    for (const key of got.mentions) gotMentions.add(`${t}|${key}`);
    for (const key of ref.relations) refRelations.add(`${t}|${key}`);
    for (const key of got.relations) gotRelations.add(`${t}|${key}`);
  });
  const m = agreement(refMentions, gotMentions);
  const r = agreement(refRelations, gotRelations);
  console.log(
    `${name}: ${terms} terms, labels equal ${(same / terms).toFixed(4)}, on name/date/value terms ${(nameSame / nameTerms).toFixed(4)}; ` +
      `mentions P/R against compromise's ${m.precision.toFixed(3)}/${m.recall.toFixed(3)} (${refMentions.size}), ` +
      `relations ${r.precision.toFixed(3)}/${r.recall.toFixed(3)} (${refRelations.size})`,
  );
}

// Speed, one thread: compromise's parse, its tokeniser alone, and the perceptron on tokens.
const speedTexts = test.bench!;
const words = speedTexts.reduce((n, text) => n + text.split(/\s+/).length, 0);
const rate = (ms: number) => `${Math.round(words / (ms / 1000)).toLocaleString('en')} words/s`;
for (const text of speedTexts.slice(0, 50)) parse(text); // warm-up
t0 = performance.now();
for (const text of speedTexts) parse(text);
console.log(`compromise/two parse and json: ${rate(performance.now() - t0)}`);
const tokenised = speedTexts.map((text) => {
  const doc = (
    nlp as unknown as { tokenize(text: string): { json(o: object): SentenceJson[] } }
  ).tokenize(text);
  return doc.json({ offset: true });
});
t0 = performance.now();
for (const text of speedTexts)
  (nlp as unknown as { tokenize(text: string): { json(o: object): SentenceJson[] } })
    .tokenize(text)
    .json({ offset: true });
console.log(`compromise tokenise and json alone: ${rate(performance.now() - t0)}`);
t0 = performance.now();
for (const sentences of tokenised) for (const s of sentences) tagSentence(model, s.terms);
console.log(`perceptron on those tokens: ${rate(performance.now() - t0)}`);
const fast = compiledTagger(model.compile());
for (const sentences of tokenised.slice(0, 50)) for (const s of sentences) fast(s.terms);
t0 = performance.now();
for (const sentences of tokenised) for (const s of sentences) fast(s.terms);
console.log(`the same, compiled to dense rows: ${rate(performance.now() - t0)}`);
t0 = performance.now();
speedTexts.forEach((text, t) => extractChunk({ id: `x${t}`, ordinal: 0, text }));
console.log(`extractChunk (compromise): ${rate(performance.now() - t0)}`);

// CoNLL04: gold entities and relations, from compromise's tags and from the perceptron's.
const gold = await loadGraphSentences('../shared/data/graph/conll04_dev.json');
const perceptronExtractor: Extractor = {
  id: 'lab:perceptron',
  async extract(chunks: ChunkText[]) {
    const parts = chunks.map((chunk) => {
      const sentences = parse(chunk.text);
      return extractTagged(
        chunk,
        withTags(
          sentences,
          sentences.map((s) => tagSentence(model, s.terms)),
        ),
      );
    });
    return {
      mentions: parts.flatMap((p) => p.mentions),
      relations: parts.flatMap((p) => p.relations),
    };
  },
};
const compromiseExtractor: Extractor = {
  id: 'local:compromise',
  async extract(chunks: ChunkText[]) {
    const parts = chunks.map(extractChunk);
    return {
      mentions: parts.flatMap((p) => p.mentions),
      relations: parts.flatMap((p) => p.relations),
    };
  },
};
for (const extractor of [compromiseExtractor, perceptronExtractor]) {
  const report = await runGraphEval(gold, extractor);
  console.log(
    `CoNLL04 ${extractor.id}: entities typed F1 ${report.entities.typed.f1.toFixed(3)}, ` +
      `relations ordered F1 ${report.relations.ordered.f1.toFixed(3)}, unordered ${report.relations.unordered.f1.toFixed(3)}`,
  );
}
