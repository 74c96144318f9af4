// `npm run bench -- scale [--quick]`: search and recall as the store grows, on SQLite and on
// PostgreSQL. For each backend and size (100k with --quick; 100k and 1M without; or
// ENGRAM_SCALE_SIZES=20000,50000; ENGRAM_SCALE_BACKENDS=sqlite for one backend), the store is filled with synthetic chunks and as many
// memories, written straight through the store ports (synthetic-store.ts: Zipf pseudo-words,
// clustered unit vectors), then measured: hybrid chunk search p50/p95 with the query embedding
// excluded and included (USE lite), its full-text and vector parts, the vector search's
// recall@10 against an exact scan of the same vectors (kept in a temporary file, vector-bank.ts), the full-text top 10's
// agreement with the plain OR query of every term (ranked by the engine), recall (memories) p50/p95
// in tenant and user scope (after ten recalls of other queries, reported apart), the first vector
// query after the fill, fill time (on PostgreSQL without its HNSW indexes, then built once: their
// build time is reported apart), this process's RSS and the bytes on disk, and on PostgreSQL the
// HNSW indexes' size beside the server's shared_buffers (searches run about twice as fast when
// the graphs fit: hnsw-sizes.ts). It ends with one line per backend and size:
//   scale <sqlite|postgres> <chunks> search_p95_ms=… recall_p95_ms=… ann_recall10=… rss_mb=…
// Ingestion throughput is `npm run bench -- ingest`. Only when named: a 1M run takes an hour or more.
import { createSilentLogger } from '../../src/domain/logger.js';
import { systemClock } from '../../src/domain/clock.js';
import { createDocumentSearch } from '../../src/ingest/hybrid-search.js';
import { createIntentClassifier } from '../../src/memory/recall/intent.js';
import { createRecallService } from '../../src/memory/recall/recall-service.js';
import type { Embedder } from '../../src/ports/embedder.js';
import type { MemoryStore, NewMemory } from '../../src/ports/memory-store.js';
import {
  createLocalEmbedder,
  LOCAL_EMBEDDER_DIMENSION,
  LOCAL_EMBEDDER_ID,
} from '../../src/providers/local-embedder.js';
import pg from 'pg';
import { POSTGRES_URL } from '../../test/support/backends.js';
import { random } from '../../test/telemetry/generate.js';
import {
  quantile,
  timeEach,
  type BenchContext,
  type BenchSuite,
  type Measurement,
} from '../harness.js';
import {
  BENCH_TENANT,
  clusteredVectors,
  fillChunks,
  nearby,
  openBenchStore,
  searchQueries,
  type BenchStore,
} from './synthetic-store.js';
import { VectorBank } from './vector-bank.js';

const DIM = LOCAL_EMBEDDER_DIMENSION;
const USERS = 100;
const SESSIONS_PER_USER = 10;

/** An embedder that answers with the vector set for the current query (query embedding excluded). */
function presetEmbedder(): Embedder & { current: Float32Array } {
  const embedder = {
    id: LOCAL_EMBEDDER_ID,
    dimension: DIM,
    current: new Float32Array(DIM),
    embed: async (texts: string[]) => texts.map(() => embedder.current),
    close: async () => undefined,
  };
  return embedder;
}

export async function fillMemories(
  memories: MemoryStore,
  bank: VectorBank,
  target: number,
  log: (m: string) => void,
  users = USERS,
): Promise<number> {
  const next = random(7);
  const vectors = clusteredVectors(11);
  const texts = searchQueries(5000);
  const started = Date.now();
  const t0 = Date.UTC(2025, 0, 1);
  for (let from = bank.ids.length; from < target; from += 2000) {
    const batch: NewMemory[] = [];
    const withVectors: Array<{ memoryId: string; vector: Float32Array }> = [];
    for (let i = from; i < Math.min(target, from + 2000); i++) {
      const user = i % users;
      const id = `mem-${i}`;
      const vector = vectors();
      batch.push({
        id,
        kind: 'turn',
        tier: 'episodic',
        userId: `user-${user}`,
        sessionId: `ses-${user}-${Math.floor(i / users) % SESSIONS_PER_USER}`,
        agentId: null,
        speaker: next() < 0.5 ? 'user' : 'assistant',
        text: `${texts[i % texts.length]!.replace('what about ', '')} ${texts[(i * 7) % texts.length]!.replace('what about ', '')}`,
        seq: Math.floor(i / (users * SESSIONS_PER_USER)) + 1,
        occurredAt: t0 + i * 60_000,
      });
      withVectors.push({ memoryId: id, vector });
      bank.add(id, vector);
    }
    await memories.insertMemories(BENCH_TENANT, batch, Date.now());
    await memories.putVectors(BENCH_TENANT, LOCAL_EMBEDDER_ID, withVectors);
  }
  const seconds = (Date.now() - started) / 1000;
  log(`  store holds ${bank.ids.length} memories (filled in ${seconds.toFixed(1)} s)`);
  return seconds;
}

/** Recalls run (and reported apart) before the measured ones: see measureBackend. */
const FIRST_RECALLS = 10;

const label = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

async function measureBackend(
  bench: BenchStore,
  sizes: number[],
  queryCount: number,
  realEmbedder: Embedder,
  context: BenchContext,
): Promise<{ measurements: Measurement[]; lines: string[] }> {
  const log = (m: string) => context.log(m);
  const out: Measurement[] = [];
  const lines: string[] = [];
  const chunkBank = new VectorBank(DIM);
  const memoryBank = new VectorBank(DIM);
  const chunkVectors = clusteredVectors(42);
  const preset = presetEmbedder();
  const logger = createSilentLogger();
  const search = createDocumentSearch({ store: bench.store, embedder: preset, logger });
  const searchEmbedded = createDocumentSearch({
    store: bench.store,
    embedder: realEmbedder,
    logger,
  });
  const recall = createRecallService({
    store: bench.memories,
    embedder: preset,
    classifier: createIntentClassifier({ mode: 'rules', cacheSize: 1000 }),
    clock: systemClock,
    logger,
    salienceHalfLifeHours: 168,
  });
  const queries = searchQueries(queryCount);
  for (const size of sizes) {
    const tag = `${bench.backend} @${label(size)}`;
    const chunkOptions = {
      log,
      vectors: chunkVectors,
      onVector: (id: string, vector: Float32Array) => chunkBank.add(id, vector),
    };
    // A bulk load: the first rows through the ports make the tables and their indexes, the
    // vector indexes go, the rest are written, and the vector indexes are built once.
    let chunkFill = await fillChunks(bench.store, Math.min(size, 100), chunkOptions);
    let memoryFill = await fillMemories(bench.memories, memoryBank, Math.min(size, 2000), log);
    await bench.dropVectorIndexes();
    chunkFill += await fillChunks(bench.store, size, chunkOptions);
    memoryFill += await fillMemories(bench.memories, memoryBank, size, log);
    const indexBuild = await bench.buildVectorIndexes();
    if (indexBuild !== undefined) log(`  vector indexes built in ${indexBuild.toFixed(1)} s`);
    await bench.analyze();
    const next = random(size);
    // Queries near a stored chunk (noise as long as the vector): a topic, not a copy.
    const chunkQueries = queries.map(() =>
      nearby(chunkBank.vector(Math.floor(next() * chunkBank.ids.length)), 1, next),
    );
    const memoryQueries = queries.map(() =>
      nearby(memoryBank.vector(Math.floor(next() * memoryBank.ids.length)), 1, next),
    );

    const firstChunk = await timeEach(1, () =>
      bench.store.searchVector({ tenantId: BENCH_TENANT, vector: chunkQueries[0]!, limit: 10 }),
    );
    const firstMemory = await timeEach(1, () =>
      bench.memories.searchVector({
        tenantId: BENCH_TENANT,
        vector: memoryQueries[0]!,
        embedderId: LOCAL_EMBEDDER_ID,
        k: 10,
      }),
    );
    log(
      `  ${tag}: filled chunks in ${chunkFill.toFixed(0)} s, memories in ${memoryFill.toFixed(0)} s; first vector query ${firstChunk[0]!.toFixed(0)} ms (chunks), ${firstMemory[0]!.toFixed(0)} ms (memories)`,
    );

    /** Hybrid search for query i, its vector given (query embedding excluded). */
    const hybridSearch = (i: number) =>
      search.searchChunks({
        tenantId: BENCH_TENANT,
        query: queries[i]!,
        queryVector: chunkQueries[i]!,
        k: 10,
      });
    for (let i = 0; i < 3; i++) await hybridSearch(i);
    const hybrid = await timeEach(queries.length, hybridSearch);
    // The same queries again: their rows are now in the caches (the first pass read them from
    // the fill's writes). The parts below run after the hybrid search on the same queries, so
    // they compare with this pass, not the first.
    const hybridAgain = await timeEach(queries.length, hybridSearch);
    const embedded = await timeEach(Math.min(20, queries.length), (i) =>
      searchEmbedded.searchChunks({
        tenantId: BENCH_TENANT,
        query: `${queries[i]!} ${size}`,
        k: 10,
      }),
    );
    const textFound: string[][] = [];
    const textPart = await timeEach(queries.length, async (i) => {
      const hits = await bench.store.searchText({
        tenantId: BENCH_TENANT,
        query: queries[i]!,
        limit: 30,
      });
      textFound[i] = hits.slice(0, 10).map((hit) => hit.chunk.id);
    });
    // Agreement with the plain OR query, ranked outside the timed calls.
    const textAgreement: number[] = [];
    for (let i = 0; i < queries.length; i++) {
      const plain = new Set(await bench.plainText(queries[i]!, 10));
      textAgreement.push(textFound[i]!.filter((id) => plain.has(id)).length / 10);
    }
    // The exact top 10 is computed outside the timed calls (a scan of every vector written: it
    // would count ≈90 ms at 100k against the store).
    const chunkFound: string[][] = [];
    const vectorPart = await timeEach(queries.length, async (i) => {
      const hits = await bench.store.searchVector({
        tenantId: BENCH_TENANT,
        vector: chunkQueries[i]!,
        limit: 10,
      });
      chunkFound[i] = hits.map((hit) => hit.chunk.id);
    });
    const chunkExact = chunkBank.exactTop(chunkQueries, 10);
    const chunkRecall = chunkFound.map(
      (found, i) => found.filter((id) => chunkExact[i]!.has(id)).length / 10,
    );

    const recallSamples: Record<'tenant' | 'user', number[]> = { tenant: [], user: [] };
    const recallParts: Record<'tenant' | 'user', string> = { tenant: '', user: '' };
    const firstRecalls: Record<'tenant' | 'user', number[]> = { tenant: [], user: [] };
    for (const scope of ['tenant', 'user'] as const) {
      const userId = scope === 'user' ? 'user-7' : undefined;
      // The process's first recalls (of other queries, near other memories) run before the
      // measured ones, as hybrid search is warmed above: code not yet compiled, in this thread
      // and in each search thread, made them 18–35 ms at 1M against 12–15 after. Reported apart.
      const warm = searchQueries(queryCount + FIRST_RECALLS).slice(queryCount);
      firstRecalls[scope] = await timeEach(FIRST_RECALLS, async (i) => {
        preset.current = nearby(
          memoryBank.vector(Math.floor(next() * memoryBank.ids.length)),
          1,
          next,
        );
        await recall.recall({
          tenantId: BENCH_TENANT,
          query: warm[i]!,
          k: 10,
          ...(userId === undefined ? {} : { userId }),
        });
      });
      const parts: Record<'vector' | 'text' | 'neighbours' | 'fusion', number[]> = {
        vector: [],
        text: [],
        neighbours: [],
        fusion: [],
      };
      recallSamples[scope] = await timeEach(queries.length, async (i) => {
        preset.current = memoryQueries[i]!;
        const { timingsMs } = await recall.recall({
          tenantId: BENCH_TENANT,
          query: queries[i]!,
          k: 10,
          ...(userId === undefined ? {} : { userId }),
        });
        parts.vector.push(timingsMs.vectorSearch);
        parts.text.push(timingsMs.search - timingsMs.vectorSearch);
        parts.neighbours.push(timingsMs.neighbours);
        parts.fusion.push(timingsMs.fuse);
      });
      recallParts[scope] = Object.entries(parts)
        .map(([part, samples]) => `${part} ${quantile(samples, 0.5).toFixed(1)}`)
        .join(', ');
    }
    const memoryFound: string[][] = [];
    const memoryVector = await timeEach(queries.length, async (i) => {
      const hits = await bench.memories.searchVector({
        tenantId: BENCH_TENANT,
        vector: memoryQueries[i]!,
        embedderId: LOCAL_EMBEDDER_ID,
        k: 10,
      });
      memoryFound[i] = hits.map((hit) => hit.memory.id);
    });
    const memoryExact = memoryBank.exactTop(memoryQueries, 10);
    const memoryRecall = memoryFound.map(
      (found, i) => found.filter((id) => memoryExact[i]!.has(id)).length / 10,
    );

    // A restarted server: new handles on the same data, nothing held in memory.
    const again = await bench.openAgain();
    const [restartChunk] = await timeEach(1, () =>
      again.store.searchVector({ tenantId: BENCH_TENANT, vector: chunkQueries[1]!, limit: 10 }),
    );
    const [restartMemory] = await timeEach(1, () =>
      again.memories.searchVector({
        tenantId: BENCH_TENANT,
        vector: memoryQueries[1]!,
        embedderId: LOCAL_EMBEDDER_ID,
        k: 10,
      }),
    );
    await again.close();

    const rssMb = process.memoryUsage().rss / 2 ** 20;
    const diskMb = (await bench.diskBytes()) / 2 ** 20;
    // PostgreSQL: whether the graphs fit in the server's buffer cache, which sets their speed.
    const sizes = await bench.hnswSizes?.();
    const sizesMb =
      sizes === undefined
        ? undefined
        : { hnsw: sizes.indexBytes / 2 ** 20, sharedBuffers: sizes.sharedBuffersBytes / 2 ** 20 };
    const annChunks = mean(chunkRecall);
    const annMemories = mean(memoryRecall);
    const textAgreement10 = mean(textAgreement);
    out.push(
      { name: `${tag} hybrid chunk search, query embedding excluded`, unit: 'ms', samples: hybrid },
      {
        name: `${tag}   the same queries again (their rows cached)`,
        unit: 'ms',
        samples: hybridAgain,
      },
      {
        name: `${tag} hybrid chunk search, query embedded (USE lite)`,
        unit: 'ms',
        samples: embedded,
      },
      {
        name: `${tag}   full-text part (30 candidates)`,
        unit: 'ms',
        samples: textPart,
        note: `top 10 agrees with the plain OR query ${textAgreement10.toFixed(3)}`,
      },
      {
        name: `${tag}   vector part (k=10)`,
        unit: 'ms',
        samples: vectorPart,
        note: `recall@10 vs exact ${annChunks.toFixed(3)}`,
      },
      {
        name: `${tag} recall k=10, tenant scope`,
        unit: 'ms',
        samples: recallSamples.tenant,
        note: `excludes query embedding; p50 ms: ${recallParts.tenant}`,
      },
      {
        name: `${tag} recall k=10, user scope (1 of ${USERS} users)`,
        unit: 'ms',
        samples: recallSamples.user,
        note: `excludes query embedding; p50 ms: ${recallParts.user}`,
      },
      ...(['tenant', 'user'] as const).map((scope) => ({
        name: `${tag}   the first ${FIRST_RECALLS} recalls, ${scope} scope (other queries)`,
        unit: 'ms',
        samples: firstRecalls[scope],
        note: 'not in the figures above',
      })),
      {
        name: `${tag}   memory vector search (k=10)`,
        unit: 'ms',
        samples: memoryVector,
        note: `recall@10 vs exact ${annMemories.toFixed(3)}`,
      },
      { name: `${tag} chunk vector recall@10 vs exact`, unit: 'ratio', value: annChunks },
      {
        name: `${tag} full-text top 10 shared with the plain OR query`,
        unit: 'ratio',
        value: textAgreement10,
      },
      { name: `${tag} memory vector recall@10 vs exact`, unit: 'ratio', value: annMemories },
      { name: `${tag} first vector query after fill (chunks)`, unit: 'ms', value: firstChunk[0]! },
      {
        name: `${tag} first vector query after fill (memories)`,
        unit: 'ms',
        value: firstMemory[0]!,
      },
      {
        name: `${tag} first vector query after a restart (chunks)`,
        unit: 'ms',
        value: restartChunk!,
      },
      {
        name: `${tag} first vector query after a restart (memories)`,
        unit: 'ms',
        value: restartMemory!,
      },
      { name: `${tag} fill, chunks`, unit: 's', value: chunkFill },
      ...(indexBuild === undefined
        ? []
        : [{ name: `${tag} vector indexes built after the fill`, unit: 's', value: indexBuild }]),
      { name: `${tag} fill, memories`, unit: 's', value: memoryFill },
      { name: `${tag} resident memory of this process`, unit: 'MB', value: rssMb },
      { name: `${tag} on disk`, unit: 'MB', value: diskMb },
      ...(sizesMb === undefined
        ? []
        : [
            { name: `${tag} HNSW indexes`, unit: 'MB', value: sizesMb.hnsw },
            {
              name: `${tag} the server's shared_buffers`,
              unit: 'MB',
              value: sizesMb.sharedBuffers,
            },
          ]),
    );
    const p95 = (xs: number[]) => quantile(xs, 0.95).toFixed(1);
    lines.push(
      `scale ${bench.backend} ${size} search_p95_ms=${p95(hybrid)} recall_p95_ms=${p95(recallSamples.tenant)} user_recall_p95_ms=${p95(recallSamples.user)} ann_recall10=${Math.min(annChunks, annMemories).toFixed(3)} text_top10=${textAgreement10.toFixed(3)} rss_mb=${rssMb.toFixed(0)} disk_mb=${diskMb.toFixed(0)}${sizesMb === undefined ? '' : ` hnsw_mb=${sizesMb.hnsw.toFixed(0)} shared_buffers_mb=${sizesMb.sharedBuffers.toFixed(0)}`}`,
    );
  }
  chunkBank.close();
  memoryBank.close();
  return { measurements: out, lines };
}

async function postgresReachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query(`SELECT '[1]'::vector`);
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function sizesOf(quick: boolean): number[] {
  const fromEnv = process.env.ENGRAM_SCALE_SIZES;
  if (fromEnv !== undefined)
    return fromEnv
      .split(',')
      .map(Number)
      .filter((n) => Number.isInteger(n) && n > 0)
      .sort((a, b) => a - b);
  return quick ? [100_000] : [100_000, 1_000_000];
}

export const scaleSuite: BenchSuite = {
  name: 'scale',
  onlyWhenNamed: true,
  description:
    'search and recall p50/p95 at 100k (and 1M) chunks and memories on SQLite and PostgreSQL, vector recall@10 against exact search, RSS and disk',
  async run(context) {
    const sizes = sizesOf(context.quick);
    const queryCount = context.quick ? 30 : 100;
    const url = process.env.ENGRAM_BENCH_DATABASE_URL ?? POSTGRES_URL;
    // ENGRAM_SCALE_BACKENDS=sqlite (or postgres) measures one backend only.
    const wanted = (process.env.ENGRAM_SCALE_BACKENDS ?? 'sqlite,postgres').split(',');
    const backends: Array<string | undefined> = wanted.includes('sqlite') ? [undefined] : [];
    if (wanted.includes('postgres')) {
      if (await postgresReachable(url)) backends.push(url);
      else context.log(`PostgreSQL at ${url} is not reachable: SQLite only`);
    }
    const embedder = createLocalEmbedder({
      logger: createSilentLogger(),
      threads: 1,
      batchSize: 32,
    });
    const measurements: Measurement[] = [];
    const lines: string[] = [];
    try {
      await embedder.embed(['warm up the model']);
      for (const backendUrl of backends) {
        const bench = await openBenchStore('scale', backendUrl);
        try {
          const result = await measureBackend(bench, sizes, queryCount, embedder, context);
          measurements.push(...result.measurements);
          lines.push(...result.lines);
        } finally {
          await bench.close();
        }
      }
    } finally {
      await embedder.close();
    }
    for (const line of lines) context.finalLine(line);
    return measurements;
  },
};
