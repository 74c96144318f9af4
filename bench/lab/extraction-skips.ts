// Lab: how much of the offline extractor's time goes to sentences it finds nothing in (no mention
// at all), each sentence extracted alone: the most that skipping such sentences before tagging
// could save, on the ingest bench's corpus, BEAM and LoCoMo turns and CoNLL04 sentences.
//   tsx bench/lab/extraction-skips.ts
import { readFileSync } from 'node:fs';
import nlp from 'compromise/two';
import { extractChunk } from '../../src/graph/local-extractor.js';
import { generateCorpus } from '../suites/ingest.js';

interface BeamBatch {
  turns: Array<Array<{ content: string }>>;
}
type LocomoSessions = Record<string, unknown>;

function texts(name: string): string[] {
  if (name === 'bench') return generateCorpus(512 * 1024).flatMap((d) => d.split('\n\n'));
  if (name === 'beam') {
    const out: string[] = [];
    for (let i = 1; i <= 10; i++) {
      const batches = JSON.parse(
        readFileSync(`../shared/data/beam/500K/${i}/chat.json`, 'utf8'),
      ) as BeamBatch[];
      for (const batch of batches)
        for (const turn of batch.turns.flat()) out.push(...turn.content.split('\n\n'));
    }
    return out.slice(0, 6000);
  }
  if (name === 'locomo') {
    const file = JSON.parse(readFileSync('../shared/data/locomo/conv-26.json', 'utf8')) as {
      conversation?: LocomoSessions;
    } & LocomoSessions;
    const sessions = file.conversation ?? file;
    const out: string[] = [];
    for (const [key, turns] of Object.entries(sessions))
      if (/^session_\d+$/.test(key))
        for (const turn of turns as Array<{ text: string }>) out.push(turn.text);
    return out;
  }
  const sentences = JSON.parse(
    readFileSync('../shared/data/graph/conll04_dev.json', 'utf8'),
  ) as Array<{ tokens: string[] }>;
  return sentences.map((sentence) => sentence.tokens.join(' '));
}
for (const name of ['bench', 'beam', 'locomo', 'conll']) {
  let total = 0,
    empty = 0,
    tEmpty = 0,
    tAll = 0;
  for (const text of texts(name)) {
    const sentences = (nlp(text).json() as Array<{ text: string }>).map((s) => s.text);
    for (const s of sentences) {
      const t0 = performance.now();
      const x = extractChunk({ id: 'c', ordinal: 0, text: s });
      const dt = performance.now() - t0;
      total++;
      tAll += dt;
      if (x.mentions.length === 0) {
        empty++;
        tEmpty += dt;
      }
    }
  }
  console.log(
    name,
    'sentences',
    total,
    'empty',
    (empty / total).toFixed(3),
    'time share empty',
    (tEmpty / tAll).toFixed(3),
    'ms/sentence',
    (tAll / total).toFixed(3),
  );
}
