// Lab: what wink-nlp keeps of the words it meets. Texts of a few new words each (an id, a number,
// a hash, as tickets and logs carry) read by one wink instance, as before wink-reader.ts, and by
// the reader, which replaces its instance past MAX_LEARNT_WORDS: the heap after a full
// collection every 20,000 texts and, for the reader, just before each replacement (its highest);
// then the time a text in a pass of its own, without the collections.
//   node --expose-gc --import tsx bench/lab/wink-growth.ts [texts]
import winkNLP from 'wink-nlp';
import model from 'wink-eng-lite-web-model';
import { createWinkReader, MAX_LEARNT_WORDS } from '../../src/graph/wink-reader.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');
const texts = Number(process.argv[2] ?? 200_000);
const text = (i: number) =>
  `Ticket INC-${100000 + i} was opened by user u${i * 7919} at build ${((i * 2654435761) >>> 0).toString(16)}; see order #${i * 31} for details.`;

/** Something that reads texts, and what it says of its instances. */
type Reader = {
  readDoc(text: string): unknown;
  stats(): { instances: number; learntWords: number };
};
const readers: Record<string, () => Reader> = {
  'one instance': () => {
    const wink = winkNLP(model, ['sbd', 'pos', 'ner']);
    return { readDoc: (t) => wink.readDoc(t), stats: () => ({ instances: 1, learntWords: 0 }) };
  },
  'the reader': () => createWinkReader(),
};
const heapMb = (base: number) => ((process.memoryUsage().heapUsed - base) / 1e6).toFixed(1);

for (const [name, make] of Object.entries(readers)) {
  gc();
  const base = process.memoryUsage().heapUsed;
  const reader = make();
  let highest = 0;
  for (let i = 0; i < texts; i++) {
    reader.readDoc(text(i));
    const { instances, learntWords } = reader.stats();
    if (learntWords >= MAX_LEARNT_WORDS) {
      gc();
      highest = Math.max(highest, process.memoryUsage().heapUsed - base);
    }
    if ((i + 1) % 20_000 === 0) {
      gc();
      console.log(
        `${name}: ${i + 1} texts, heap +${heapMb(base)} MB, ${instances} instance(s)${name === 'the reader' ? `, ${learntWords} words learnt by the current one` : ''}`,
      );
    }
  }
  if (highest > 0)
    console.log(`${name}: highest, before a replacement, +${(highest / 1e6).toFixed(1)} MB`);
  const timed = make();
  const started = performance.now();
  for (let i = 0; i < texts; i++) timed.readDoc(text(i + texts));
  console.log(`${name}: ${((performance.now() - started) / texts).toFixed(3)} ms a text`);
}
