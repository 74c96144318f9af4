// Lab: the ingestion pipeline (embedding excluded) with graph extraction on the event loop or in
// threads, once, for a CPU profile of where its time goes; `depth` is the batches an extractor
// thread holds (its default when absent or 0); `warm MB` are ingested for another tenant first,
// before the clock starts (none by default). On Linux it also prints each thread's CPU from the
// clock's start to the store's close, read from /proc: the event loop, the threads still alive at
// the end (V8's helpers, libuv's, the checkpoint thread), and those that ended (the extractor's).
//   npx tsx bench/built.ts bench/lab/ingest-parts.ts [threads|none] [MB] [depth] [warm MB]
// (the build's JavaScript, as `engram serve` runs it; `npx tsx bench/lab/ingest-parts.ts …` runs
// the source through tsx; add `--cpu-prof --cpu-prof-dir=<dir>` after tsx for a profile).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { constantEmbedder, generateCorpus, runPipeline } from '../suites/ingest.js';

/** User and system CPU ms of a /proc stat line (clock ticks of 10 ms). */
function statMs(path: string): number {
  try {
    const stat = readFileSync(path, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0; // the thread ended between the listing and the read
  }
}

/** CPU ms of the process and of each of its live threads, by thread id. */
function threadCpu(): { process: number; threads: Map<string, number> } {
  const threads = new Map<string, number>();
  for (const tid of readdirSync('/proc/self/task'))
    threads.set(tid, statMs(`/proc/self/task/${tid}/stat`));
  return { process: statMs('/proc/self/stat'), threads };
}

const threads = process.argv[2] === 'none' ? 'none' : Number(process.argv[2] ?? 0);
const MB = 1024 * 1024;
const corpus = generateCorpus(Number(process.argv[3] ?? 2) * MB);
const extractorDepth = Number(process.argv[4] ?? 0) || undefined;
const warmup = generateCorpus(Number(process.argv[5] ?? 0) * MB, { firstIndex: corpus.length });
const onLinux = existsSync('/proc/self/task');
const atClockStart: { cpu?: ReturnType<typeof threadCpu> } = {};
const result = await runPipeline(corpus, constantEmbedder(), 'lab', threads, {
  warmup,
  onClockStart: () => onLinux && (atClockStart.cpu = threadCpu()),
  ...(extractorDepth === undefined ? {} : { extractorDepth }),
});
console.log(
  `${result.chunks} chunks in ${result.seconds.toFixed(1)} s (${Math.round(result.chunks / result.seconds)} chunks/s, ${((result.cpuSeconds * 1000) / result.chunks).toFixed(2)} CPU ms a chunk); stage ms ${JSON.stringify(result.stageMs)}`,
);
const start = atClockStart.cpu;
if (start !== undefined) {
  const after = threadCpu();
  const eventLoop = String(process.pid);
  const delta = (tid: string) => after.threads.get(tid)! - (start.threads.get(tid) ?? 0);
  const others = [...after.threads.keys()].filter((tid) => tid !== eventLoop).map(delta);
  const alive = others.reduce((sum, ms) => sum + ms, 0);
  const ended = after.process - start.process - delta(eventLoop) - alive;
  console.log(
    `thread CPU ms: event loop ${delta(eventLoop)}, ended threads ${ended}, live threads ${alive} (${others
      .filter((ms) => ms > 0)
      .join(', ')})`,
  );
}
