// Lab: the ingestion pipeline (embedding excluded) with graph extraction on the event loop or in
// threads, once, for a CPU profile of where its time goes; `depth` is the batches an extractor
// thread holds (its default otherwise).
//   node --import tsx --cpu-prof --cpu-prof-dir=<dir> bench/lab/ingest-parts.ts [threads|none] [MB] [depth]
import { constantEmbedder, generateCorpus, runPipeline } from '../suites/ingest.js';

const threads = process.argv[2] === 'none' ? 'none' : Number(process.argv[2] ?? 0);
const corpus = generateCorpus(Number(process.argv[3] ?? 2) * 1024 * 1024);
const depth = process.argv[4] === undefined ? undefined : Number(process.argv[4]);
const result = await runPipeline(corpus, constantEmbedder(), 'lab', threads, depth);
console.log(
  `${result.chunks} chunks in ${result.seconds.toFixed(1)} s (${Math.round(result.chunks / result.seconds)} chunks/s, ${((result.cpuSeconds * 1000) / result.chunks).toFixed(2)} CPU ms a chunk); stage ms ${JSON.stringify(result.stageMs)}`,
);
