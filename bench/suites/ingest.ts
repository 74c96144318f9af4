// Ingestion: pipeline throughput (chunks/s, MB/s) over a generated Markdown corpus (≥ 5 MB), with
// embedding excluded (a constant-vector embedder), with the static embedder
// (ENGRAM_EMBEDDER=static), and with the default local embedder (on a slice of the corpus: USE lite
// embeds a few chunks per second), and p50/p95 of POST /v1/search at 10k and 100k chunks. The
// search store is topped up with synthetic chunks and clustered unit vectors written straight
// through the DocumentStore port, which saves hours of embedding and does not change what a search
// costs. The extract stage runs the graph's local extractor, in its default threads (a core left to
// the event loop), in a thread per core and on the event loop. Backend: SQLite, or PostgreSQL with
// ENGRAM_BENCH_DATABASE_URL. The pipeline runs in this process as the ingest worker runs it, two
// documents at a time, without the job queue. Each pipeline run without the default embedder first
// ingests 2 MB of other documents for another tenant of its store, before its clock starts, as a
// server does that has been running (its code compiled by V8's optimiser, its extractor thread's
// too; its caches filled); the first run, in the default configuration, is also measured without
// it: from a cold start when the suite runs alone with ENGRAM_BENCH_INGEST_PARTS=pipeline (other
// suites or parts run before it warm some of the code).
import Fastify from 'fastify';
import {
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import {
  DEFAULT_EXTRACTOR_THREADS,
  DEFAULT_POOL_THREADS,
} from '../../src/config/settings/ingest.js';
import { systemClock } from '../../src/domain/clock.js';
import { sha256Hex } from '../../src/domain/hashing.js';
import { newId } from '../../src/domain/ids.js';
import { createSilentLogger } from '../../src/domain/logger.js';
import { createGraphService } from '../../src/graph/graph-service.js';
import { createLocalExtractor } from '../../src/graph/create-local-extractor.js';
import { installAuth, parseApiKeys } from '../../src/http/auth.js';
import type { EngramApp } from '../../src/http/engram-app.js';
import { installErrorHandler } from '../../src/http/error-handler.js';
import { documentRoutes } from '../../src/http/routes/documents.js';
import { createDocumentSearch } from '../../src/ingest/hybrid-search.js';
import { createIngestService } from '../../src/ingest/ingest-service.js';
import { createIngestPipeline, type IngestPipeline } from '../../src/ingest/pipeline.js';
import { createTokenCounter } from '../../src/ingest/token-counter.js';
import type { Embedder } from '../../src/ports/embedder.js';
import {
  createLocalEmbedder,
  LOCAL_EMBEDDER_DIMENSION,
  LOCAL_EMBEDDER_ID,
} from '../../src/providers/local-embedder.js';
import { createStaticEmbedder } from '../../src/providers/static-embedder.js';
import { random } from '../../test/telemetry/generate.js';
import { timeEach, type BenchSuite, type Measurement } from '../harness.js';
import { measureFormats } from './ingest-formats.js';
import {
  BENCH_TENANT,
  clusteredVectors,
  fillChunks,
  openBenchStore,
  searchQueries,
  VOCABULARY,
  type BenchStore,
} from './synthetic-store.js';

const MB = 1024 * 1024;

const NAMES = [
  'Alice Johnson',
  'Acme Corporation',
  'Neo4j',
  'PostgreSQL',
  'Berlin',
  'Lisbon',
  'Redis',
  'Bob Smith',
];

function sentence(next: () => number): string {
  const words = Array.from(
    { length: 8 + Math.floor(next() * 18) },
    () => VOCABULARY[Math.floor(next() * VOCABULARY.length)]!,
  );
  if (next() < 0.3)
    words.splice(Math.floor(next() * words.length), 0, NAMES[Math.floor(next() * NAMES.length)]!);
  const text = words.join(' ');
  return `${text[0]!.toUpperCase()}${text.slice(1)}.`;
}

/** One Markdown document of about `bytes`: headings, paragraphs, lists and code. */
function markdownDocument(index: number, bytes: number): string {
  const next = random(index + 1);
  const parts = [`# Handbook ${index}: ${VOCABULARY[index % VOCABULARY.length]!}`];
  let size = parts[0]!.length;
  let section = 0;
  while (size < bytes) {
    let part: string;
    const roll = next();
    if (roll < 0.08) part = `## Section ${++section}: ${sentence(next).slice(0, 40)}`;
    else if (roll < 0.12) part = `### Detail ${section}.${Math.floor(next() * 9)}`;
    else if (roll < 0.22)
      part = Array.from({ length: 3 + Math.floor(next() * 5) }, () => `- ${sentence(next)}`).join(
        '\n',
      );
    else if (roll < 0.26)
      part = `\`\`\`ts\nconst ${VOCABULARY[Math.floor(next() * VOCABULARY.length)]!} = await store.get(${index});\n\`\`\``;
    else part = Array.from({ length: 2 + Math.floor(next() * 6) }, () => sentence(next)).join(' ');
    parts.push(part);
    size += part.length + 2;
  }
  return parts.join('\n\n');
}

/** Documents of `documentBytes` up to `totalBytes`, each seeded by its index from `firstIndex`. */
export function generateCorpus(
  totalBytes: number,
  { documentBytes = 64 * 1024, firstIndex = 0 } = {},
): string[] {
  const documents: string[] = [];
  let size = 0;
  while (size < totalBytes) {
    const document = markdownDocument(firstIndex + documents.length, documentBytes);
    documents.push(document);
    size += Buffer.byteLength(document);
  }
  return documents;
}

/** Embedding excluded: every text gets the same unit vector at no cost. */
export function constantEmbedder(): Embedder {
  const vector = new Float32Array(LOCAL_EMBEDDER_DIMENSION).fill(
    1 / Math.sqrt(LOCAL_EMBEDDER_DIMENSION),
  );
  return {
    id: LOCAL_EMBEDDER_ID,
    dimension: LOCAL_EMBEDDER_DIMENSION,
    embed: async (texts) => texts.map(() => vector.slice()),
    close: async () => undefined,
  };
}

/** ENGRAM_EMBEDDER=static: the distilled piece vectors, on the event loop. */
function staticEmbedder(): Embedder {
  return createStaticEmbedder({ logger: createSilentLogger() });
}

/** The tenant of the documents ingested before a run's clock starts. */
const WARMUP_TENANT = 'bench-warmup';

/** The default a server ingests with: documents in flight (ENGRAM_WORKER_CONCURRENCY). */
const WORKER_CONCURRENCY = 2;

/** Ingests the documents as the ingest worker runs them: up to WORKER_CONCURRENCY at a time. */
async function ingestAll(
  bench: BenchStore,
  pipeline: IngestPipeline,
  documents: string[],
  tenantId: string,
): Promise<{ chunks: number; bytes: number; stageMs: Record<string, number> }> {
  let chunks = 0;
  let bytes = 0;
  const stageMs: Record<string, number> = {};
  let next = 0;
  const lane = async () => {
    for (let index = next++; index < documents.length; index = next++) {
      const content = documents[index]!;
      const { document } = await bench.store.createDocument({
        id: newId('doc'),
        tenantId,
        namespace: 'bench',
        contentHash: sha256Hex(content),
        content,
        title: null,
        mimeType: 'text/markdown',
        metadata: {},
        now: Date.now(),
      });
      await pipeline.run({
        tenantId,
        documentId: document.id,
        attempt: 1,
        maxAttempts: 1,
      });
      const done = await bench.store.getDocument(tenantId, document.id);
      if (done?.status !== 'completed') throw new Error(`document ${index} ${done?.status}`);
      chunks += done.chunkCount;
      bytes += Buffer.byteLength(content);
      for (const [stage, ms] of Object.entries(done.timings ?? {}))
        stageMs[stage] = (stageMs[stage] ?? 0) + ms;
    }
  };
  // Every lane ends before the store closes, even when one fails.
  const lanes = await Promise.allSettled(Array.from({ length: WORKER_CONCURRENCY }, lane));
  for (const outcome of lanes) if (outcome.status === 'rejected') throw outcome.reason;
  return { chunks, bytes, stageMs };
}

export async function runPipeline(
  documents: string[],
  embedder: Embedder,
  label: string,
  extractorThreads: number | 'none',
  {
    extractorDepth,
    warmup = [],
    onClockStart,
  }: {
    extractorDepth?: number;
    /** Ingested for another tenant of the store before the clock starts, as by a running server. */
    warmup?: string[];
    onClockStart?: () => void;
  } = {},
): Promise<{
  chunks: number;
  bytes: number;
  seconds: number;
  /** CPU time of every thread of the process (the extractor's included) while the documents ran. */
  cpuSeconds: number;
  stageMs: Record<string, number>;
}> {
  const bench = await openBenchStore(label, process.env.ENGRAM_BENCH_DATABASE_URL);
  const extractor =
    extractorThreads === 'none'
      ? undefined
      : createLocalExtractor({
          threads: extractorThreads,
          ...(extractorDepth === undefined ? {} : { depth: extractorDepth }),
        });
  try {
    const graph =
      extractor === undefined
        ? undefined
        : createGraphService({
            store: bench.graphStore,
            extractor,
            clock: systemClock,
            logger: createSilentLogger(),
            entityFuzzyThreshold: 0.88,
            entityEmbeddingThreshold: 0.9,
          });
    const pipeline = createIngestPipeline({
      store: bench.store,
      embedder,
      graph,
      transaction: bench.transaction,
      countTokens: createTokenCounter('o200k_base'),
      chunkTokens: 400,
      chunkOverlap: 0.15,
      embedBatchSize: 32,
      clock: systemClock,
      logger: createSilentLogger(),
    });
    // One chunk per thread: every thread has loaded the tagger before the clock starts.
    if (extractorThreads !== 'none')
      await extractor?.extract(
        Array.from({ length: Math.max(1, extractorThreads) }, (_, i) => ({
          id: `warm${i}`,
          ordinal: i,
          text: 'Warm up.',
        })),
      );
    // Another tenant's: the measured tenant's graph starts empty, as in a cold run.
    await ingestAll(bench, pipeline, warmup, WARMUP_TENANT);
    onClockStart?.();
    const started = process.hrtime.bigint();
    const cpuBefore = process.cpuUsage();
    const { chunks, bytes, stageMs } = await ingestAll(bench, pipeline, documents, BENCH_TENANT);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = process.cpuUsage(cpuBefore);
    return { chunks, bytes, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, stageMs };
  } finally {
    await extractor?.close();
    await bench.close();
  }
}

async function searchApp(bench: BenchStore, embedder: Embedder): Promise<EngramApp> {
  const logger = createSilentLogger();
  const service = createIngestService({
    store: bench.store,
    jobQueue: bench.jobQueue,
    search: createDocumentSearch({ store: bench.store, embedder, logger }),
    limits: {
      maxDocumentBytes: 5 * MB,
      maxDocumentsPerRequest: 100,
      maxQueryChars: 2000,
      maxSearchK: 100,
    },
    clock: systemClock,
    logger,
    maxAttempts: 3,
  });
  const app = Fastify().withTypeProvider<ZodTypeProvider>() as unknown as EngramApp;
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app);
  installAuth(app, parseApiKeys(undefined));
  await app.register(documentRoutes({ ingest: service }));
  await app.ready();
  return app;
}

export const ingestSuite: BenchSuite = {
  name: 'ingest',
  description:
    'parse + chunk MB/s per format, ingestion pipeline chunks/s and MB/s (with and without embedding), POST /v1/search p50/p95 at 10k and 100k chunks',
  async run(context) {
    const quick = context.quick;
    const log = (message: string) => context.log(message);
    const measurements: Measurement[] = [];
    const backend = process.env.ENGRAM_BENCH_DATABASE_URL === undefined ? 'sqlite' : 'postgres';
    const corpus = generateCorpus(quick ? 0.5 * MB : 5.1 * MB);
    // Other documents than the corpus's: their entities and chunks are not the measured ones.
    const warmup = generateCorpus(quick ? 0.2 * MB : 2 * MB, { firstIndex: corpus.length });
    const corpusBytes = corpus.reduce((sum, d) => sum + Buffer.byteLength(d), 0);
    log(
      `corpus: ${corpus.length} Markdown documents, ${(corpusBytes / MB).toFixed(2)} MB; backend ${backend}`,
    );

    // 1. Pipeline with embedding excluded, over the whole corpus: with graph extraction (the
    //    default pipeline) and without it (chunk + store + index only).
    // ENGRAM_BENCH_INGEST_PARTS=formats|pipeline|search runs some parts (all by default).
    const parts = process.env.ENGRAM_BENCH_INGEST_PARTS ?? 'formats,pipeline,search';
    // 0. Parse + chunk MB/s per format (PDF, DOCX, HTML, Markdown, text, CSV, JSON).
    if (parts.includes('formats'))
      measurements.push(...(await measureFormats(corpus.slice(0, quick ? 2 : 8), log)));
    const threads = (n: number) => `${n} extractor thread${n === 1 ? '' : 's'}`;
    const defaultRun = `pipeline, embedding excluded (${threads(DEFAULT_EXTRACTOR_THREADS)})`;
    const runs: Array<[string, () => Embedder, number | 'none', string[]]> = [
      // First, while this process and its threads have run no pipeline yet.
      [`${defaultRun}, from a cold start`, constantEmbedder, DEFAULT_EXTRACTOR_THREADS, []],
      [defaultRun, constantEmbedder, DEFAULT_EXTRACTOR_THREADS, warmup],
      // The default leaves the event loop a core; one thread a core, for comparison.
      ...(DEFAULT_POOL_THREADS === DEFAULT_EXTRACTOR_THREADS
        ? []
        : [
            [
              `pipeline, embedding excluded (${threads(DEFAULT_POOL_THREADS)}, one a core)`,
              constantEmbedder,
              DEFAULT_POOL_THREADS,
              warmup,
            ] satisfies [string, () => Embedder, number, string[]],
          ]),
      ['pipeline, embedding excluded (extraction on the event loop)', constantEmbedder, 0, warmup],
      ['pipeline, embedding and extraction excluded', constantEmbedder, 'none', warmup],
      [
        `pipeline, static embedder (${threads(DEFAULT_EXTRACTOR_THREADS)})`,
        staticEmbedder,
        DEFAULT_EXTRACTOR_THREADS,
        warmup,
      ],
      ['pipeline, static embedder, extraction excluded', staticEmbedder, 'none', warmup],
    ];
    const warmupMb = (warmup.reduce((sum, d) => sum + Buffer.byteLength(d), 0) / MB).toFixed(2);
    for (const [name, makeEmbedder, extractorThreads, warm] of parts.includes('pipeline')
      ? runs
      : []) {
      const fast = await runPipeline(corpus, makeEmbedder(), 'fast', extractorThreads, {
        warmup: warm,
      });
      log(
        `${name}: ${fast.chunks} chunks in ${fast.seconds.toFixed(1)} s; stage ms ${JSON.stringify(fast.stageMs)}`,
      );
      const note = `${(fast.bytes / MB).toFixed(2)} MB${warm.length === 0 ? '' : ` after ${warmupMb} MB`}, ${fast.chunks} chunks, ${WORKER_CONCURRENCY} documents at a time, ${backend}${extractorThreads === 'none' ? '' : ', local graph extraction'}`;
      measurements.push(
        { name, unit: 'chunks/s', value: fast.chunks / fast.seconds, note },
        { name, unit: 'MB/s', value: fast.bytes / MB / fast.seconds, note },
        // Every thread's CPU (the event loop's, the extractor's, the GC's) over the chunks.
        { name, unit: 'CPU ms/chunk', value: (fast.cpuSeconds * 1000) / fast.chunks, note },
      );
    }

    // 2. Pipeline with the default embedder (USE lite, a thread per core), on a slice of the corpus.
    const embedder = createLocalEmbedder({
      logger: createSilentLogger(),
      threads: DEFAULT_POOL_THREADS,
      batchSize: 32,
    });
    try {
      // One text per idle thread: every thread loads the model before the clock starts.
      await embedder.embed(Array.from({ length: DEFAULT_POOL_THREADS }, (_, i) => `warm up ${i}`));
      const slice = corpus.slice(0, quick ? 1 : 4);
      const slow = parts.includes('pipeline')
        ? await runPipeline(slice, embedder, 'embed', DEFAULT_EXTRACTOR_THREADS)
        : { chunks: 0, bytes: 0, seconds: 1, stageMs: {} };
      log(
        `pipeline with local embedder: ${slow.chunks} chunks in ${slow.seconds.toFixed(1)} s; stage ms ${JSON.stringify(slow.stageMs)}`,
      );
      const slowNote = `${(slow.bytes / MB).toFixed(2)} MB slice, ${slow.chunks} chunks, USE lite in ${DEFAULT_POOL_THREADS} threads, extraction in ${DEFAULT_EXTRACTOR_THREADS}, ${backend}`;
      if (slow.chunks > 0)
        measurements.push(
          {
            name: 'pipeline, default embedder',
            unit: 'chunks/s',
            value: slow.chunks / slow.seconds,
            note: slowNote,
          },
          {
            name: 'pipeline, default embedder',
            unit: 'MB/s',
            value: slow.bytes / MB / slow.seconds,
            note: slowNote,
          },
        );

      // 3. Search latency through the HTTP route at 10k and 100k chunks (query embedded each time).
      const bench = await openBenchStore('search', process.env.ENGRAM_BENCH_DATABASE_URL);
      const chunkVectors = clusteredVectors(42);
      try {
        const app = await searchApp(bench, embedder);
        const queries = searchQueries(quick ? 20 : 100);
        for (const size of !parts.includes('search') ? [] : quick ? [10_000] : [10_000, 100_000]) {
          await fillChunks(bench.store, size, { log, vectors: chunkVectors });
          await bench.analyze();
          await app.inject({
            method: 'POST',
            url: '/v1/search',
            payload: { query: 'warm up', k: 10 },
          });
          let hits = 0;
          const samples = await timeEach(queries.length, async (i) => {
            const response = await app.inject({
              method: 'POST',
              url: '/v1/search',
              payload: { query: queries[i], k: 10 },
            });
            if (response.statusCode !== 200) throw new Error(`search failed: ${response.body}`);
            hits += response.json<{ hits: unknown[] }>().hits.length;
          });
          measurements.push({
            name: `POST /v1/search @${size / 1000}k chunks`,
            unit: 'ms',
            samples,
            note: `${backend}, k=10, hybrid, query embedded by USE lite, avg ${(hits / queries.length).toFixed(1)} hits`,
          });
          // Where the time goes: each part alone, same queries (candidates = 30 as in a k=10 search).
          const vectors = await embedder.embed(queries);
          measurements.push(
            {
              name: `  full-text part @${size / 1000}k`,
              unit: 'ms',
              samples: await timeEach(queries.length, (i) =>
                bench.store.searchText({ tenantId: BENCH_TENANT, query: queries[i]!, limit: 30 }),
              ),
            },
            {
              name: `  vector part @${size / 1000}k`,
              unit: 'ms',
              samples: await timeEach(queries.length, (i) =>
                bench.store.searchVector({
                  tenantId: BENCH_TENANT,
                  vector: vectors[i]!,
                  limit: 30,
                }),
              ),
            },
            {
              name: `  query embedding`,
              unit: 'ms',
              samples: await timeEach(Math.min(20, queries.length), (i) =>
                embedder.embed([`${queries[i]!} ${size}`]),
              ),
            },
          );
        }
        await app.close();
      } finally {
        await bench.close();
      }
    } finally {
      await embedder.close();
    }
    return measurements;
  },
};
