// Lab: what wink-nlp keeps of the words it meets. Texts of a few new words each (an id, a number,
// a hash, as tickets and logs carry) read by one wink instance, as before wink-reader.ts, and by
// the reader, which replaces its instance past MAX_LEARNT_WORDS: the heap after a full
// collection, every 20,000 texts.
//   node --expose-gc --import tsx bench/lab/wink-growth.ts [texts]
import winkNLP from 'wink-nlp';
import model from 'wink-eng-lite-web-model';
import { createWinkReader } from '../../src/graph/wink-reader.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');
const texts = Number(process.argv[2] ?? 200_000);
const text = (i: number) =>
  `Ticket INC-${100000 + i} was opened by user u${i * 7919} at build ${((i * 2654435761) >>> 0).toString(16)}; see order #${i * 31} for details.`;

for (const name of ['one instance', 'the reader']) {
  const wink = winkNLP(model, ['sbd', 'pos', 'ner']);
  const reader =
    name === 'the reader'
      ? createWinkReader()
      : {
          readDoc: (t: string) => wink.readDoc(t),
          stats: () => ({ instances: 1, learntWords: NaN }),
        };
  gc();
  const base = process.memoryUsage().heapUsed;
  const started = performance.now();
  for (let i = 0; i < texts; i++) {
    reader.readDoc(text(i));
    if ((i + 1) % 20_000 === 0) {
      gc();
      const { instances, learntWords } = reader.stats();
      console.log(
        `${name}: ${i + 1} texts, heap +${((process.memoryUsage().heapUsed - base) / 1e6).toFixed(1)} MB, ${instances} instance(s), ${learntWords} words learnt by the current one`,
      );
    }
  }
  console.log(`${name}: ${((performance.now() - started) / texts).toFixed(3)} ms a text`);
}
