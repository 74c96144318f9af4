// Synthetic stores for the search benchmarks (ingest, scale): a document store on SQLite or
// PostgreSQL, topped up with completed documents of 100 chunks written straight through the
// DocumentStore port (hours of embedding saved, the same rows and indexes a real ingest writes),
// Zipf-distributed pseudo-words for text, and clustered unit vectors for embeddings.
//
// The vectors are not a model's: 256 random centres, each vector a centre plus noise of the same
// size, normalised. Real embeddings are clustered too (topics); uniform random vectors would make
// an approximate index look worse than it is on real data, and identical vectors better.
import { mkdtempSync, rmSync, statSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPostgres } from '../../src/adapters/postgres/database.js';
import { createPostgresDocumentStore } from '../../src/adapters/postgres/document-store.js';
import { createPostgresGraphStore } from '../../src/adapters/postgres/graph-store.js';
import { readHnswSizes, type HnswSizes } from '../../src/adapters/postgres/hnsw-sizes.js';
import { createPostgresStoreTransaction } from '../../src/adapters/postgres/store-transaction.js';
import { createPostgresJobQueue } from '../../src/adapters/postgres/job-queue.js';
import { PostgresMemoryStore } from '../../src/adapters/postgres/memory-store.js';
import {
  CHUNK_VECTOR_INDEX,
  memoryVectorIndex,
  vectorIndexSql,
} from '../../src/adapters/postgres/pgvector.js';
import { openSqlite } from '../../src/adapters/sqlite/database.js';
import { createSqliteDocumentStore } from '../../src/adapters/sqlite/document-store.js';
import { createSqliteGraphStore } from '../../src/adapters/sqlite/graph-store.js';
import { createSqliteStoreTransaction } from '../../src/adapters/sqlite/store-transaction.js';
import { createSqliteJobQueue } from '../../src/adapters/sqlite/job-queue.js';
import { SqliteMemoryStore } from '../../src/adapters/sqlite/memory-store.js';
import { createSqliteSearchThreads } from '../../src/adapters/sqlite/search-threads.js';
import { startWalCheckpoints } from '../../src/adapters/sqlite/wal-checkpoints.js';
import { systemClock } from '../../src/domain/clock.js';
import { createSilentLogger } from '../../src/domain/logger.js';
import { sha256Hex } from '../../src/domain/hashing.js';
import { newId } from '../../src/domain/ids.js';
import {
  searchTerms,
  type ChunkInput,
  type DocumentStore,
} from '../../src/ports/document-store.js';
import type { GraphStore } from '../../src/ports/graph-store.js';
import type { JobQueue } from '../../src/ports/job-queue.js';
import type { MemoryStore } from '../../src/ports/memory-store.js';
import type { RunInTransaction } from '../../src/ports/stores.js';
import { LOCAL_EMBEDDER_DIMENSION, LOCAL_EMBEDDER_ID } from '../../src/providers/local-embedder.js';
import { DEFAULT_POOL_THREADS } from '../../src/config/settings/ingest.js';
import { random } from '../../test/telemetry/generate.js';

export const BENCH_TENANT = 'default';

export const VOCABULARY = (
  'memory server stores documents chunks facts agents context users projects meetings invoices databases graphs ' +
  'sessions tools errors latency tokens budgets models prompts answers engineers deploy services machines cores ' +
  'customers questions orders payments shipping delays refunds passwords accounts reports revenue growth planning ' +
  'hiring retrieval embeddings vectors index queue worker lease retry backoff tenant namespace cluster replica ' +
  'snapshot migration schema transaction cache eviction tokenizer budget summary episode salience promotion'
).split(' ');

/** Pseudo-words: synthetic text needs a Zipf-like vocabulary, or every query term matches every chunk. */
const SYLLABLES = 'ka lo mi ru te shi no va de po zu ri an el or us'.split(' ');
export const ZIPF_WORDS = Array.from({ length: 20_000 }, (_, i) => {
  let word = '';
  let n = i + 1;
  while (n > 0) {
    word += SYLLABLES[n % SYLLABLES.length]!;
    n = Math.floor(n / SYLLABLES.length);
  }
  return word;
});

/** Rank ~ Zipf(1) over ZIPF_WORDS, by inverting the harmonic CDF approximately. */
function zipfWord(next: () => number): string {
  const rank = Math.min(
    ZIPF_WORDS.length - 1,
    Math.floor(Math.exp(next() * Math.log(ZIPF_WORDS.length + 1))) - 1,
  );
  return ZIPF_WORDS[Math.max(0, rank)]!;
}

function syntheticSentence(next: () => number): string {
  const words = Array.from({ length: 8 + Math.floor(next() * 18) }, () =>
    next() < 0.3 ? VOCABULARY[Math.floor(next() * VOCABULARY.length)]! : zipfWord(next),
  );
  return `${words.join(' ')}.`;
}

/** Questions of 3–7 words: one or two corpus terms, the rest mid-frequency words. */
export function searchQueries(count: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const next = random(1000 + i);
    const words = Array.from({ length: 3 + (i % 5) }, (_, j) =>
      j < 1 + (i % 2)
        ? VOCABULARY[Math.floor(next() * VOCABULARY.length)]!
        : ZIPF_WORDS[50 + Math.floor(next() * 5000)]!,
    );
    return `what about ${words.join(' ')}?`;
  });
}

const CENTRES = 256;

/**
 * Clustered unit vectors of the default embedder's dimension, deterministic from `seed`, around
 * `centres` topics (a lab gives fewer to make a smaller store's clusters as big as 1M's).
 */
export function clusteredVectors(seed: number, centres = CENTRES): () => Float32Array {
  const next = random(seed);
  const dimension = LOCAL_EMBEDDER_DIMENSION;
  const unit = (v: Float32Array) => {
    let norm = 0;
    for (const x of v) norm += x * x;
    norm = Math.sqrt(norm);
    for (let i = 0; i < v.length; i++) v[i]! /= norm;
    return v;
  };
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  const topics = Array.from({ length: centres }, () =>
    unit(Float32Array.from({ length: dimension }, gaussian)),
  );
  return () => {
    const centre = topics[Math.floor(next() * centres)]!;
    // Noise of about the centre's length: neighbours share a topic without being copies.
    return unit(Float32Array.from(centre, (x) => x + gaussian() / Math.sqrt(dimension)));
  };
}

/** A query vector near a stored one: the same vector with noise of `amount` times its length. */
export function nearby(vector: Float32Array, amount: number, next: () => number): Float32Array {
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  const out = Float32Array.from(
    vector,
    (x) => x + (amount * gaussian()) / Math.sqrt(vector.length),
  );
  let norm = 0;
  for (const x of out) norm += x * x;
  norm = Math.sqrt(norm);
  return out.map((x) => x / norm);
}

export interface BenchStore {
  backend: 'sqlite' | 'postgres';
  store: DocumentStore;
  jobQueue: JobQueue;
  graphStore: GraphStore;
  memories: MemoryStore;
  transaction: RunInTransaction;
  /**
   * New handles on the same data, as a restarted server would open it (nothing held in memory);
   * close them before the store.
   */
  openAgain(): Promise<{ store: DocumentStore; memories: MemoryStore; close(): Promise<void> }>;
  /** Planner statistics and a visibility map after a bulk fill (PostgreSQL; autovacuum would
   *  make them later). */
  analyze(): Promise<void>;
  /**
   * A bulk load: drops the vector indexes that writes would otherwise maintain one row at a time
   * (PostgreSQL's HNSW indexes, which made a 1M fill take hours), so that `buildVectorIndexes`
   * builds them once after the fill, as an operator loading a big store would. SQLite's sign-bit
   * index is kept by the writes themselves: nothing to drop.
   */
  dropVectorIndexes(): Promise<void>;
  /** Builds what dropVectorIndexes dropped; the seconds it took, or undefined when nothing was. */
  buildVectorIndexes(): Promise<number | undefined>;
  /**
   * The ids of the `k` best chunks of the tenant by the plain OR query of the search's terms,
   * every row holding a term ranked (the engine's own ranking, as the search scores it): what
   * full-text search is compared with.
   */
  plainText(query: string, k: number): Promise<string[]>;
  /** Bytes on disk: the SQLite files, or the PostgreSQL schema's tables and indexes. */
  diskBytes(): Promise<number>;
  /** PostgreSQL: the schema's HNSW indexes and the server's shared_buffers (hnsw-sizes.ts). */
  hnswSizes?(): Promise<HnswSizes>;
  close(): Promise<void>;
}

/** A fresh store: PostgreSQL in its own schema when `postgresUrl` is given, else a SQLite file. */
export async function openBenchStore(label: string, postgresUrl?: string): Promise<BenchStore> {
  const queueOptions = { backoffBaseMs: 100, backoffMaxMs: 1000, defaultMaxAttempts: 3 };
  if (postgresUrl !== undefined) {
    const schema = `bench_${label}_${Date.now().toString(36)}`;
    const database = await openPostgres({
      url: postgresUrl,
      schema,
      poolMax: 4,
      statementTimeoutMs: 3_600_000,
    });
    return {
      backend: 'postgres',
      store: createPostgresDocumentStore({ pool: database.pool }),
      jobQueue: createPostgresJobQueue(database.pool, systemClock, queueOptions),
      graphStore: createPostgresGraphStore(database.pool),
      memories: new PostgresMemoryStore(database.pool),
      transaction: createPostgresStoreTransaction(database.pool, systemClock),
      openAgain: async () => {
        const again = await openPostgres({ url: postgresUrl, schema, poolMax: 4 });
        return {
          store: createPostgresDocumentStore({ pool: again.pool }),
          memories: new PostgresMemoryStore(again.pool),
          close: () => again.close(),
        };
      },
      analyze: async () => {
        // What autovacuum does after a bulk fill (the test server runs without it): statistics
        // for the planner, and a visibility map for index-only scans. One statement each: VACUUM
        // cannot run in the implicit transaction of several.
        for (const table of ['chunk_vectors', 'chunks', 'documents', 'memories'])
          await database.pool.query(`VACUUM (ANALYZE) ${table}`);
      },
      dropVectorIndexes: async () => {
        await database.pool.query(
          `DROP INDEX IF EXISTS ${CHUNK_VECTOR_INDEX}; DROP INDEX IF EXISTS ${memoryVectorIndex(LOCAL_EMBEDDER_DIMENSION)}`,
        );
      },
      buildVectorIndexes: async () => {
        const dim = LOCAL_EMBEDDER_DIMENSION;
        const indexes = [vectorIndexSql('chunks', dim), vectorIndexSql('memories', dim)];
        const started = Date.now();
        const client = await database.pool.connect();
        // pgvector says when the graph outgrew maintenance_work_mem: the run's log shows it.
        const notice = (message: { message?: string | undefined }): void => {
          process.stderr.write(`postgres: ${message.message ?? ''}\n`);
        };
        client.on('notice', notice);
        try {
          // The build's graph in memory (1M vectors of 512 dimensions with 32 links a node need
          // about 3.5 GB; past maintenance_work_mem pgvector goes on much slower), one parallel
          // worker on 2 cores.
          await client.query(
            `SET maintenance_work_mem = '${process.env.ENGRAM_SCALE_INDEX_MEMORY ?? '6GB'}'; SET max_parallel_maintenance_workers = 1`,
          );
          for (const sql of indexes) if (sql !== undefined) await client.query(sql);
        } finally {
          client.off('notice', notice);
          client.release();
        }
        return (Date.now() - started) / 1000;
      },
      plainText: async (query, k) => {
        const { rows } = await database.pool.query<{ id: string }>(
          `SELECT c.id FROM chunks c, to_tsquery('english', $1) q
           WHERE c.tenant_id = $2 AND c.tsv @@ q ORDER BY ts_rank_cd(c.tsv, q) DESC, c.id LIMIT $3`,
          [searchTerms(query).join(' | '), BENCH_TENANT, k],
        );
        return rows.map((row) => row.id);
      },
      diskBytes: async () => {
        const { rows } = await database.pool.query<{ bytes: string }>(
          `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) AS bytes
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = $1 AND c.relkind IN ('r', 'm')`,
          [schema],
        );
        return Number(rows[0]!.bytes);
      },
      hnswSizes: () => readHnswSizes(database.pool),
      close: async () => {
        await database.pool.query(`DROP SCHEMA "${schema}" CASCADE`);
        await database.close();
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), `engram-bench-${label}-`));
  const database = openSqlite({ path: join(dir, 'engram.db') });
  // Full-text search in threads of its own, as the server runs it (ENGRAM_SEARCH_THREADS).
  const searchThreads = createSqliteSearchThreads({
    db: database.db,
    threads: DEFAULT_POOL_THREADS,
    logger: createSilentLogger(),
  });
  // The log checkpointed in a thread of its own, as the server does.
  const checkpoints = startWalCheckpoints({ db: database.db, logger: createSilentLogger() });
  const store = createSqliteDocumentStore({ db: database.db, searchThreads });
  const graphStore = createSqliteGraphStore(database.db);
  return {
    backend: 'sqlite',
    store,
    jobQueue: createSqliteJobQueue(database.db, systemClock, queueOptions),
    graphStore,
    memories: new SqliteMemoryStore(database.db, { searchThreads }),
    transaction: createSqliteStoreTransaction(database.db, { documentStore: store, graphStore }),
    openAgain: async () => {
      const again = openSqlite({ path: join(dir, 'engram.db') });
      const againThreads = createSqliteSearchThreads({
        db: again.db,
        threads: DEFAULT_POOL_THREADS,
        logger: createSilentLogger(),
      });
      return {
        store: createSqliteDocumentStore({ db: again.db, searchThreads: againThreads }),
        memories: new SqliteMemoryStore(again.db, { searchThreads: againThreads }),
        close: async () => {
          await againThreads?.close();
          again.close();
        },
      };
    },
    analyze: async () => undefined,
    dropVectorIndexes: async () => undefined,
    buildVectorIndexes: async () => undefined,
    plainText: async (query, k) =>
      (
        database.db
          .prepare(
            `SELECT c.id FROM chunks_fts f JOIN chunks c ON c.seq = f.rowid
             WHERE chunks_fts MATCH ? AND c.tenant_id = ? ORDER BY bm25(chunks_fts), c.seq LIMIT ?`,
          )
          .all(
            searchTerms(query)
              .map((term) => `"${term}"`)
              .join(' OR '),
            BENCH_TENANT,
            k,
          ) as Array<{ id: string }>
      ).map((row) => row.id),
    diskBytes: async () =>
      readdirSync(dir).reduce((sum, file) => sum + statSync(join(dir, file)).size, 0),
    close: async () => {
      await searchThreads?.close();
      await checkpoints?.close();
      database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Adds synthetic completed documents of 100 chunks each until the tenant holds `target` chunks;
 * `onVector` sees every vector written, with its chunk id (for exact search in the same run).
 * Returns the seconds spent.
 */
export async function fillChunks(
  store: DocumentStore,
  target: number,
  options: {
    log: (m: string) => void;
    vectors: () => Float32Array;
    onVector?: (chunkId: string, vector: Float32Array) => void;
    /** Tenants the documents go to in turn (the first is BENCH_TENANT's): 1 by default. */
    tenants?: number;
  },
): Promise<number> {
  const next = random(42);
  const tenants = options.tenants ?? 1;
  let have = (await store.countChunks(BENCH_TENANT)).chunks * tenants;
  const started = Date.now();
  await store.bindVectorSpace({
    embedderId: LOCAL_EMBEDDER_ID,
    dimension: LOCAL_EMBEDDER_DIMENSION,
  });
  let lastLog = started;
  while (have < target) {
    const count = Math.min(100, target - have);
    const texts = Array.from({ length: count }, () =>
      Array.from({ length: 12 }, () => syntheticSentence(next)).join(' '),
    );
    const content = texts.join('\n\n');
    const turn = Math.floor(have / 100) % tenants;
    const tenantId = turn === 0 ? BENCH_TENANT : `${BENCH_TENANT}-${turn}`;
    const { document } = await store.createDocument({
      id: newId('doc'),
      tenantId,
      namespace: 'bench',
      contentHash: sha256Hex(`${have}:${content}`),
      content,
      title: `synthetic ${have}`,
      mimeType: 'text/markdown',
      metadata: {},
      now: Date.now(),
    });
    let offset = 0;
    const chunks: ChunkInput[] = texts.map((text, ordinal) => {
      const chunk = {
        ordinal,
        text,
        headingPath: ['Synthetic'],
        tokenCount: 0,
        startOffset: offset,
        endOffset: offset + text.length,
        page: null,
        contentHash: sha256Hex(text),
      };
      offset += text.length + 2;
      return chunk;
    });
    await store.replaceChunks(tenantId, document.id, chunks);
    const stored = await store.listChunks(tenantId, document.id);
    const vectors = stored.map((chunk) => ({ chunkId: chunk.id, vector: options.vectors() }));
    for (const { chunkId, vector } of vectors) options.onVector?.(chunkId, vector);
    await store.upsertVectors(tenantId, vectors);
    await store.indexDocument(tenantId, document.id);
    await store.updateDocument(tenantId, document.id, {
      status: 'completed',
      chunkCount: count,
      now: Date.now(),
    });
    have += count;
    if (Date.now() - lastLog > 60_000) {
      options.log(`  … ${have} chunks`);
      lastLog = Date.now();
    }
  }
  const seconds = (Date.now() - started) / 1000;
  options.log(`  store holds ${have} chunks (filled in ${seconds.toFixed(1)} s)`);
  return seconds;
}
