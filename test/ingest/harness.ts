// Builds the ingestion stack on a real backend (SQLite file or PostgreSQL schema) the way the
// runtime does: store, job queue, local embedder, graph service, pipeline, service, worker and
// the HTTP routes on a Fastify app with Engram's error handler and auth hook.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import {
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { openPostgres } from '../../src/adapters/postgres/database.js';
import { createPostgresDocumentStore } from '../../src/adapters/postgres/document-store.js';
import { createPostgresGraphStore } from '../../src/adapters/postgres/graph-store.js';
import { createPostgresStoreTransaction } from '../../src/adapters/postgres/store-transaction.js';
import { createPostgresJobQueue } from '../../src/adapters/postgres/job-queue.js';
import { openSqlite } from '../../src/adapters/sqlite/database.js';
import { createSqliteDocumentStore } from '../../src/adapters/sqlite/document-store.js';
import { createSqliteGraphStore } from '../../src/adapters/sqlite/graph-store.js';
import { createSqliteSearchThreads } from '../../src/adapters/sqlite/search-threads.js';
import { createSqliteStoreTransaction } from '../../src/adapters/sqlite/store-transaction.js';
import { createSqliteJobQueue } from '../../src/adapters/sqlite/job-queue.js';
import { systemClock } from '../../src/domain/clock.js';
import { createSilentLogger, type Logger } from '../../src/domain/logger.js';
import { createGraphService } from '../../src/graph/graph-service.js';
import { createLocalExtractor } from '../../src/graph/create-local-extractor.js';
import type { EngramApp } from '../../src/http/engram-app.js';
import { installAuth, parseApiKeys } from '../../src/http/auth.js';
import { installErrorHandler } from '../../src/http/error-handler.js';
import { documentRoutes } from '../../src/http/routes/documents.js';
import { createDocumentSearch } from '../../src/ingest/hybrid-search.js';
import { createIngestService, type IngestService } from '../../src/ingest/ingest-service.js';
import { createIngestWorker } from '../../src/ingest/ingest-worker.js';
import { createIngestPipeline, type IngestPipelineOptions } from '../../src/ingest/pipeline.js';
import { createTokenCounter } from '../../src/ingest/token-counter.js';
import type { UrlFetcher } from '../../src/ingest/url-fetch.js';
import { createHeartbeats } from '../../src/jobs/heartbeats.js';
import type { JobWorker } from '../../src/jobs/worker.js';
import type { DocumentStore } from '../../src/ports/document-store.js';
import type { Embedder } from '../../src/ports/embedder.js';
import type { GraphStore } from '../../src/ports/graph-store.js';
import type { JobQueue } from '../../src/ports/job-queue.js';
import type { RunInTransaction } from '../../src/ports/stores.js';
import { POSTGRES_URL, dropSchema, postgresAvailable, uniqueName } from '../support/backends.js';

/** Where a child process finds the same store: a SQLite file or a PostgreSQL schema. */
export type BackendLocation =
  { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string; schema: string };

export interface Backend {
  location: BackendLocation;
  store: DocumentStore;
  jobQueue: JobQueue;
  graphStore: GraphStore;
  transaction: RunInTransaction;
  close(): Promise<void>;
}

export const QUEUE_OPTIONS = { backoffBaseMs: 20, backoffMaxMs: 100, defaultMaxAttempts: 3 };
export const CHUNK_TOKENS = 64;

export async function openBackend(location: BackendLocation): Promise<Backend> {
  if (location.kind === 'sqlite') {
    const database = openSqlite({ path: location.path });
    // Full-text search in a thread of its own, as the server runs it.
    const searchThreads = createSqliteSearchThreads({
      db: database.db,
      threads: 1,
      logger: createSilentLogger(),
    });
    const store = createSqliteDocumentStore({ db: database.db, searchThreads });
    const graphStore = createSqliteGraphStore(database.db);
    return {
      location,
      store,
      jobQueue: createSqliteJobQueue(database.db, systemClock, QUEUE_OPTIONS),
      graphStore,
      transaction: createSqliteStoreTransaction(database.db, { documentStore: store, graphStore }),
      close: async () => {
        await searchThreads?.close();
        database.close();
      },
    };
  }
  const database = await openPostgres({
    url: location.url,
    schema: location.schema,
    poolMax: 4,
  });
  return {
    location,
    store: createPostgresDocumentStore({ pool: database.pool }),
    jobQueue: createPostgresJobQueue(database.pool, systemClock, QUEUE_OPTIONS),
    graphStore: createPostgresGraphStore(database.pool),
    transaction: createPostgresStoreTransaction(database.pool, systemClock),
    close: () => database.close(),
  };
}

/** A fresh location, or undefined when the backend is not available here (the suite skips loudly). */
export async function freshLocation(
  kind: BackendLocation['kind'],
): Promise<{ location: BackendLocation; destroy(): Promise<void> } | undefined> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'engram-ingest-'));
    return {
      location: { kind, path: join(dir, 'engram.db') },
      destroy: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  if (!(await postgresAvailable())) return undefined;
  const schema = uniqueName('ingest');
  return { location: { kind, url: POSTGRES_URL, schema }, destroy: () => dropSchema(schema) };
}

export interface IngestStack {
  backend: Backend;
  service: IngestService;
  app: EngramApp;
  startWorker(overrides?: { leaseMs?: number }): JobWorker;
  close(): Promise<void>;
}

export async function buildStack(
  backend: Backend,
  embedder: Embedder,
  options: {
    beforeStage?: IngestPipelineOptions['beforeStage'];
    logger?: Logger;
    maxDocumentBytes?: number;
    fetchUrl?: UrlFetcher;
    parseTimeoutMs?: number;
  } = {},
): Promise<IngestStack> {
  const logger = options.logger ?? createSilentLogger();
  const clock = systemClock;
  const graph = createGraphService({
    store: backend.graphStore,
    extractor: createLocalExtractor(),
    clock,
    logger,
    entityFuzzyThreshold: 0.88,
    entityEmbeddingThreshold: 0.9,
  });
  const pipeline = createIngestPipeline({
    store: backend.store,
    embedder,
    graph,
    transaction: backend.transaction,
    countTokens: createTokenCounter('o200k_base'),
    chunkTokens: CHUNK_TOKENS,
    chunkOverlap: 0.15,
    parseTimeoutMs: options.parseTimeoutMs,
    embedBatchSize: 4,
    clock,
    logger,
    ...(options.beforeStage === undefined ? {} : { beforeStage: options.beforeStage }),
  });
  const service = createIngestService({
    store: backend.store,
    jobQueue: backend.jobQueue,
    search: createDocumentSearch({ store: backend.store, embedder, logger }),
    limits: {
      maxDocumentBytes: options.maxDocumentBytes ?? 64 * 1024,
      maxDocumentsPerRequest: 5,
      maxQueryChars: 200,
      maxSearchK: 50,
    },
    clock,
    logger,
    maxAttempts: 3,
    removeGraph: (tenantId, documentId) => graph.removeDocument(tenantId, documentId),
    fetchUrl: options.fetchUrl,
  });
  const app = Fastify().withTypeProvider<ZodTypeProvider>() as unknown as EngramApp;
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app);
  installAuth(app, parseApiKeys(undefined));
  await app.register(documentRoutes({ ingest: service }));
  await app.ready();
  const workers: JobWorker[] = [];
  return {
    backend,
    service,
    app,
    startWorker(overrides = {}) {
      const worker = createIngestWorker({
        jobQueue: backend.jobQueue,
        pipeline,
        sweep: { service, store: backend.store, clock, maxAttempts: 3, intervalMs: 1_000 },
        heartbeats: createHeartbeats(clock),
        logger,
        concurrency: 1,
        leaseMs: overrides.leaseMs ?? 5_000,
        pollMs: 20,
      });
      worker.start();
      workers.push(worker);
      return worker;
    },
    async close() {
      await Promise.all(workers.map((worker) => worker.stop()));
      await app.close();
    },
  };
}

/** Polls until the document reaches one of `statuses` (or the test times out). */
export async function waitForStatus(
  service: IngestService,
  tenantId: string,
  documentId: string,
  statuses: string[],
): Promise<Awaited<ReturnType<IngestService['get']>>> {
  for (;;) {
    const document = await service.get(tenantId, documentId);
    if (statuses.includes(document.status)) return document;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export function sampleMarkdown(topic: string, sections = 4): string {
  const parts = [`# ${topic} handbook`];
  for (let s = 0; s < sections; s += 1) {
    parts.push(`## Part ${s + 1}: ${topic} operations`);
    parts.push(
      `Alice Johnson joined Acme Corporation in Berlin in 2021. Acme Corporation acquired Neo4j Inc. later that year. ` +
        `The ${topic} team stores graph data in Neo4j and relational data in PostgreSQL. Section ${s + 1} explains ` +
        `how the ${topic} service keeps its memory consistent across workers, retries and restarts.`,
    );
    parts.push(
      `- Step one for part ${s + 1}: check the ${topic} queue.\n- Step two: verify chunk ordinals.\n- Step three: search.`,
    );
  }
  return parts.join('\n\n');
}
