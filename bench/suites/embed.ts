// Embedding throughput of the offline default (USE lite in worker threads): model load time,
// texts/s for short (10-word) and long (150-word) texts with 1 and 2 threads, and the
// content-hash cache's hit path; then the same for the static embedder (ENGRAM_EMBEDDER=static). Register in suites/index.ts as `embedSuite`.
import { Writable } from 'node:stream';
import { createLogger } from '../../src/domain/logger.js';
import { createCachedEmbedder } from '../../src/providers/cached-embedder.js';
import { createLocalEmbedder } from '../../src/providers/local-embedder.js';
import { createStaticEmbedder } from '../../src/providers/static-embedder.js';
import type { BenchSuite, Measurement } from '../harness.js';

const WORDS = (
  'the memory server stores documents chunks and facts for agents that need context about users projects ' +
  'meetings invoices databases graphs sessions tools errors latency tokens budgets models prompts answers ' +
  'engineers deploy services on small machines with two cores while customers ask questions about orders ' +
  'payments shipping delays refunds passwords accounts reports revenue growth quarterly planning hiring'
).split(' ');

/** Deterministic pseudo-English: different texts (so no cache helps), same length. */
function makeTexts(count: number, words: number, seed: number): string[] {
  let state = seed;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state;
  };
  return Array.from({ length: count }, () => {
    const picked = Array.from({ length: words }, () => WORDS[next() % WORDS.length]!);
    return `${picked.join(' ')}.`;
  });
}

/** A logger that hands the local embedder's "model loaded" line (with loadMs) to the suite. */
function loadTimeLogger(onLoad: (ms: number) => void) {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) {
        if (!line.includes('"loadMs"')) continue;
        const { loadMs } = JSON.parse(line) as { loadMs: number };
        onLoad(loadMs);
      }
      done();
    },
  });
  return createLogger('info', sink);
}

export const embedSuite: BenchSuite = {
  name: 'embed',
  description:
    'local embedder (USE lite, worker threads): load time, texts/s short and long, 1 and 2 threads; static embedder',
  async run(context) {
    const { quick } = context;
    const log = (message: string) => context.log(message);
    const measurements: Measurement[] = [];
    const shortCount = quick ? 64 : 320;
    const longCount = quick ? 16 : 64;

    for (const threads of [1, 2]) {
      const loads: number[] = [];
      const embedder = createLocalEmbedder({
        threads,
        logger: loadTimeLogger((ms) => loads.push(ms)),
      });
      try {
        // First call starts every thread and loads the model in each (threads × 1 text).
        const started = performance.now();
        await embedder.embed(Array.from({ length: threads }, (_, i) => `warm up ${i}`));
        const firstCallMs = performance.now() - started;
        if (threads === 1) {
          measurements.push({
            name: 'first embed incl. thread start + model load (1 thread)',
            unit: 'ms',
            value: firstCallMs,
          });
          measurements.push({ name: 'model load inside a thread', unit: 'ms', samples: loads });
        }
        log(
          `${threads} thread(s): first call ${firstCallMs.toFixed(0)} ms, in-thread loads ${loads.map((l) => l.toFixed(0)).join(', ')} ms`,
        );
        // One warm-up batch per thread so WASM kernels are compiled before timing.
        await embedder.embed(makeTexts(16 * threads, 10, 7));

        for (const [label, count, words] of [
          ['short (10 words)', shortCount, 10],
          ['long (150 words)', longCount, 150],
        ] as const) {
          const texts = makeTexts(count, words, words * 31 + threads);
          const cpu0 = process.cpuUsage();
          const t0 = performance.now();
          await embedder.embed(texts);
          const seconds = (performance.now() - t0) / 1000;
          // CPU time covers every thread of the process; it stays meaningful on a busy machine,
          // where wall-clock rates drop because other processes hold the cores.
          const cpu = process.cpuUsage(cpu0);
          const cpuSeconds = (cpu.user + cpu.system) / 1e6;
          measurements.push({
            name: `${label}, ${threads} thread(s)`,
            unit: 'texts/s',
            value: count / seconds,
          });
          measurements.push({
            name: `${label}, ${threads} thread(s), per CPU-second`,
            unit: 'texts/cpu-s',
            value: count / cpuSeconds,
          });
          log(
            `${label}, ${threads} thread(s): ${(count / seconds).toFixed(1)} texts/s wall, ` +
              `${(count / cpuSeconds).toFixed(1)} texts per CPU-second, CPU use ${((cpuSeconds / seconds) * 100).toFixed(0)} %`,
          );
        }
        // Interactive latency: one query while the threads are idle.
        const single = makeTexts(10, 8, 99 + threads);
        const samples: number[] = [];
        for (const text of single) {
          const t0 = performance.now();
          await embedder.embed([text]);
          samples.push(performance.now() - t0);
        }
        measurements.push({ name: `one 8-word query, ${threads} thread(s)`, unit: 'ms', samples });
        measurements.push({
          name: `process RSS with ${threads} thread(s) loaded`,
          unit: 'MB',
          value: process.memoryUsage().rss / 2 ** 20,
        });

        if (threads === 1) {
          const cached = createCachedEmbedder(embedder, { maxEntries: 10_000 });
          const texts = makeTexts(200, 10, 5);
          await cached.embed(texts);
          const t0 = performance.now();
          const rounds = 50;
          for (let i = 0; i < rounds; i++) await cached.embed(texts);
          measurements.push({
            name: 'cache hits (10-word texts)',
            unit: 'texts/s',
            value: (rounds * texts.length) / ((performance.now() - t0) / 1000),
          });
        }
      } finally {
        await embedder.close();
      }
    }
    measurements.push(...(await measureStatic(quick, log)));
    return measurements;
  },
};

/** The static embedder: asset load, then texts/s on the event loop (no threads, no model). */
async function measureStatic(
  quick: boolean,
  log: (message: string) => void,
): Promise<Measurement[]> {
  const measurements: Measurement[] = [];
  const started = performance.now();
  const embedder = createStaticEmbedder({ logger: createLogger('silent') });
  const loadMs = performance.now() - started;
  measurements.push({ name: 'static: asset load', unit: 'ms', value: loadMs });
  await embedder.embed(makeTexts(64, 10, 3));
  for (const [label, count, words] of [
    ['short (10 words)', quick ? 2_000 : 20_000, 10],
    ['long (150 words)', quick ? 500 : 5_000, 150],
  ] as const) {
    const texts = makeTexts(count, words, words * 37);
    const t0 = performance.now();
    await embedder.embed(texts);
    const rate = count / ((performance.now() - t0) / 1000);
    measurements.push({ name: `static: ${label}`, unit: 'texts/s', value: rate });
    log(`static embedder, ${label}: ${rate.toFixed(0)} texts/s`);
  }
  const samples: number[] = [];
  for (const text of makeTexts(10, 8, 77)) {
    const t0 = performance.now();
    await embedder.embed([text]);
    samples.push(performance.now() - t0);
  }
  measurements.push({ name: 'static: one 8-word query', unit: 'ms', samples });
  log(`static embedder: asset loaded in ${loadMs.toFixed(0)} ms`);
  await embedder.close();
  return measurements;
}
