// The runtime: builds everything from config in one place — stores, Redis, services, background
// work — and closes it all in reverse order. No container, no module-level connections.
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import { createMetricsRegistry } from './metrics-registry.js';
import { createPostgresStores } from './adapters/postgres/stores.js';
import { closeRedis, openRedis } from './adapters/redis/connection.js';
import { createRedisHeartbeatStore } from './adapters/redis/heartbeat-store.js';
import { createRedisJobQueue } from './adapters/redis/job-queue.js';
import { createSqliteStores } from './adapters/sqlite/stores.js';
import { openTelemetryPorts } from './adapters/open-telemetry-ports.js';
import { openTokenCache } from './adapters/open-token-cache.js';
import type { Config } from './config/schema.js';
import { systemClock, type Clock } from './domain/clock.js';
import type { Logger } from './domain/logger.js';
import { createHeartbeats, type Heartbeats } from './jobs/heartbeats.js';
import { createJobPruner } from './jobs/job-pruner.js';
import { checkSharedHeartbeats, createHeartbeatPublisher } from './jobs/shared-heartbeats.js';
import type { Stores } from './ports/stores.js';
import type { ChatModel } from './ports/chat-model.js';
import type { Embedder } from './ports/embedder.js';
import type { Extractor } from './ports/extractor.js';
import { createChatModel, createEmbedder } from './providers/create-providers.js';
import { createChatDistiller } from './memory/distill/chat-distiller.js';
import { createMemoryJobs } from './memory/memory-jobs.js';
import { createMemoryMetrics } from './memory/memory-metrics.js';
import { createGraphMetrics } from './graph/graph-metrics.js';
import { createMemoryService, type MemoryService } from './memory/memory-service.js';
import { createConfiguredRecallService } from './memory/recall/create-recall-service.js';
import { MAX_K as MAX_RECALL_K, type RecallService } from './memory/recall/recall-service.js';
import {
  createConfiguredExtractor,
  createConfiguredGraphService,
} from './graph/create-graph-service.js';
import type { GraphService } from './graph/graph-service.js';
import { createDocumentSearch, type DocumentSearch } from './ingest/hybrid-search.js';
import { createIngestService, type IngestService } from './ingest/ingest-service.js';
import { createIngestWorker } from './ingest/ingest-worker.js';
import { createIngestPipeline, INGEST_QUEUE } from './ingest/pipeline.js';
import { createTokenCounter } from './ingest/token-counter.js';
import { createUrlFetcher } from './ingest/url-fetch.js';
import { parseApiKeys } from './http/auth.js';
import { createModelCallRecorder } from './telemetry/model-calls.js';
import { registerTelemetryGauges } from './telemetry/prometheus.js';
import { createTelemetryService, type TelemetryService } from './telemetry/service.js';
import { createTelemetryWorkers } from './telemetry/workers.js';
import { createCostTable, parseModelPrices } from './telemetry/cost.js';
import { createOtlpReceiver, type OtlpReceiver } from './telemetry/otlp/receiver.js';
import {
  createMetricSeriesService,
  type MetricSeriesService,
} from './telemetry/otlp/metric-series.js';
import { createUnmappedService, type UnmappedService } from './telemetry/otlp/unmapped.js';
import { createContextService, type ContextService } from './context/context-service.js';
import { createTokenIdSource, type TokenIdSource } from './context/token-id-source.js';
import { createTokenizerRegistry, parseTokenizerPaths } from './context/tokenizers/registry.js';

/** Something that runs in the background of `engram serve` / `engram worker`. */
export interface BackgroundTask {
  start(): void;
  stop(): Promise<void>;
}

export interface ReadinessCheck {
  name: string;
  /** Resolves when healthy; throws with a message that says what is wrong. */
  check: () => Promise<void>;
}

export interface Runtime {
  readonly config: Config;
  readonly logger: Logger;
  readonly clock: Clock;
  /** The Prometheus registry every component registers on (never the global one). */
  readonly metrics: Registry;
  readonly heartbeats: Heartbeats;
  readonly stores: Stores;
  readonly redis: Redis | undefined;
  readonly readiness: ReadinessCheck[];
  /** The configured embedder (shared by ingestion and memory); threads start on first use. */
  readonly embedder: Embedder;
  /** The configured chat model, or undefined without ENGRAM_LLM_URL. */
  readonly chatModel: ChatModel | undefined;
  /** The configured graph extractor (ingestion's extract stage; `engram eval graph`). */
  readonly extractor: Extractor;
  readonly memory: MemoryService;
  /** Intent-aware hybrid recall over every tier (memories, chunks, graph facts). */
  readonly recall: RecallService;
  /** Token-exact context (POST /v1/context) and its token cache's stats. */
  readonly context: ContextService;
  readonly tokenIds: TokenIdSource;
  /** Knowledge graph: extraction (called by the ingest pipeline), resolution, graph queries, facts for recall. */
  readonly graph: GraphService;
  /** Knowledge ingestion: documents, their pipeline jobs, status, delete, hybrid chunk search. */
  readonly ingest: IngestService;
  /** Hybrid (full-text + vector, RRF) search over ingested chunks: the semantic tier of recall. */
  readonly documentSearch: DocumentSearch;
  /** Agent telemetry: event batches in, exact shared metrics out (stream + consumers). */
  readonly telemetry: TelemetryService;
  /** OTLP exports (spans, log records) mapped to telemetry events. */
  readonly otlp: OtlpReceiver;
  /** OTLP metric series, stored per tenant and read per window. */
  readonly metricSeries: MetricSeriesService;
  /** OTLP records nothing maps, kept bounded per tenant. */
  readonly unmapped: UnmappedService;
  /** Starts workers and periodic jobs (embedded `serve`, and `worker`); API-only nodes skip it. */
  startBackground(): void;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  logger: Logger;
  clock?: Clock;
}

export async function createRuntime(config: Config, options: RuntimeOptions): Promise<Runtime> {
  const { logger } = options;
  const clock = options.clock ?? systemClock;
  const releasers: Array<() => Promise<void>> = [];
  const background: BackgroundTask[] = [];
  const readiness: ReadinessCheck[] = [];

  async function close(): Promise<void> {
    await Promise.allSettled(background.map((task) => task.stop()));
    for (const release of releasers.reverse()) {
      try {
        await release();
      } catch (error) {
        logger.warn({ err: error }, 'error while closing a resource');
      }
    }
    releasers.length = 0;
  }

  try {
    const metrics = createMetricsRegistry();
    const heartbeats = createHeartbeats(clock);

    const stores =
      config.databaseUrl === undefined
        ? createSqliteStores(config, clock, logger)
        : await createPostgresStores({ ...config, databaseUrl: config.databaseUrl }, clock, logger);
    releasers.push(() => stores.close());
    readiness.push({ name: stores.backend, check: () => stores.ping() });

    let redis: Redis | undefined;
    if (config.redisUrl !== undefined) {
      const connection = openRedis({
        url: config.redisUrl,
        keyPrefix: config.redisKeyPrefix,
        commandTimeoutMs: config.redisCommandTimeoutMs,
        onConnectionError: (error) => logger.warn({ err: error }, 'Redis connection error'),
      });
      redis = connection;
      releasers.push(() => closeRedis(connection));
      readiness.push({
        name: 'redis',
        check: async () => {
          await connection.ping();
        },
      });
      // Workers may run on other machines: their liveness is read from Redis on every node.
      const heartbeatStore = createRedisHeartbeatStore(connection);
      background.push(
        createHeartbeatPublisher({
          store: heartbeatStore,
          heartbeats,
          clock,
          logger,
          intervalMs: Math.max(250, Math.floor(config.heartbeatStaleMs / 3)),
        }),
      );
      readiness.push({
        name: 'workers',
        check: () => checkSharedHeartbeats(heartbeatStore, clock, config.heartbeatStaleMs),
      });
    }

    // Background jobs: Redis when configured (shared by every API node and worker), else the
    // SQL store's own job table.
    const jobQueue =
      redis === undefined
        ? stores.jobQueue
        : createRedisJobQueue(redis, clock, {
            backoffBaseMs: config.jobBackoffBaseMs,
            backoffMaxMs: config.jobBackoffMaxMs,
            defaultMaxAttempts: config.jobMaxAttempts,
          });

    const telemetryPorts = await openTelemetryPorts(config, clock, redis, logger);
    releasers.push(() => telemetryPorts.close());
    const telemetry = createTelemetryService({
      stream: telemetryPorts.stream,
      metrics: telemetryPorts.metrics,
      clock,
      batchMaxEvents: config.telemetryBatchMaxEvents,
      costs: createCostTable(parseModelPrices(config.modelPrices)),
    });
    const tenants = [...new Set(parseApiKeys(config.apiKeys).values())];
    registerTelemetryGauges({
      registry: metrics,
      service: telemetry,
      tenants: () => (tenants.length > 0 ? tenants : ['default']),
      maxLabelValues: config.metricsMaxLabelValues,
    });
    const metricSeries = createMetricSeriesService({
      store: stores.metricSeries,
      clock,
      maxSeriesPerTenant: config.otlpMaxSeriesPerTenant,
    });
    const unmapped = createUnmappedService({
      store: stores.unmapped,
      clock,
      maxRecordsPerTenant: config.otlpMaxUnmappedPerTenant,
    });
    const otlp = createOtlpReceiver({
      service: telemetry,
      series: metricSeries,
      unmapped,
      batchMaxEvents: config.telemetryBatchMaxEvents,
      registry: metrics,
    });
    // Engram's own embedding and LLM calls become model_call events of agent "engram".
    const modelCalls = createModelCallRecorder({ service: telemetry, clock, logger });
    releasers.push(() => modelCalls.close());
    background.push(
      createTelemetryWorkers({
        stream: telemetryPorts.stream,
        metrics: telemetryPorts.metrics,
        series: stores.metricSeries,
        logger,
        heartbeats,
        consumers: config.telemetryConsumers,
        readCount: config.telemetryReadCount,
        claimIdleMs: config.telemetryClaimIdleMs,
        maxDeliveries: config.telemetryMaxDeliveries,
        retention: {
          clock,
          dedupTtlSeconds: config.telemetryDedupTtlSeconds,
          retentionSeconds: config.telemetryRetentionSeconds,
        },
      }),
    );

    const embedder = createEmbedder(config, { logger, recordCall: modelCalls.record });
    releasers.push(() => embedder.close());
    const chatModel = createChatModel(config, { logger, recordCall: modelCalls.record });
    if (chatModel !== undefined) releasers.push(() => chatModel.close());

    const extractor = createConfiguredExtractor(config, chatModel, logger);
    releasers.push(async () => extractor.close?.());
    const graph = createConfiguredGraphService({
      config,
      store: stores.graphStore,
      embedder,
      extractor,
      clock,
      logger,
      metrics: createGraphMetrics(metrics),
      documentChunks: (tenantId, documentId) =>
        stores.documentStore.listChunks(tenantId, documentId),
    });

    const documentSearch = createDocumentSearch({ store: stores.documentStore, embedder, logger });
    const ingest = createIngestService({
      store: stores.documentStore,
      jobQueue,
      search: documentSearch,
      limits: config,
      clock,
      logger,
      maxAttempts: config.jobMaxAttempts,
      fetchUrl: createUrlFetcher({
        allowedHosts: config.fetchAllowedHosts,
        maxBytes: config.maxDocumentBytes,
        timeoutMs: config.fetchTimeoutMs,
        maxRedirects: config.fetchMaxRedirects,
      }),
      removeGraph: (tenantId, documentId) => graph.removeDocument(tenantId, documentId),
    });
    background.push(
      createIngestWorker({
        jobQueue,
        pipeline: createIngestPipeline({
          store: stores.documentStore,
          embedder,
          graph,
          transaction: stores.transaction,
          countTokens: createTokenCounter('o200k_base'),
          chunkTokens: config.chunkTokens,
          chunkOverlap: config.chunkOverlap,
          parseTimeoutMs: config.parseTimeoutMs,
          embedBatchSize: config.embedderBatchSize,
          clock,
          logger,
        }),
        sweep: {
          service: ingest,
          store: stores.documentStore,
          clock,
          maxAttempts: config.jobMaxAttempts,
          intervalMs: config.jobSweepIntervalMs,
        },
        heartbeats,
        logger,
        concurrency: config.workerConcurrency,
        leaseMs: config.jobLeaseMs,
        pollMs: config.workerPollMs,
      }),
    );

    background.push(
      createJobPruner({
        jobQueue,
        queues: [INGEST_QUEUE],
        retentionMs: config.jobRetentionMs,
        intervalMs: config.jobSweepIntervalMs,
        clock,
        heartbeats,
        logger,
      }),
    );

    const memory = createMemoryService({
      store: stores.memoryStore,
      embedder,
      distiller:
        config.summariser === 'openai' && chatModel !== undefined
          ? createChatDistiller(chatModel)
          : undefined,
      settings: config,
      clock,
      logger,
      metrics: createMemoryMetrics(metrics),
    });
    releasers.push(() => memory.close());
    const recall = createConfiguredRecallService({
      config,
      store: stores.memoryStore,
      embedder,
      chatModel,
      documentSearch,
      graph,
      clock,
      logger,
    });
    background.push(createMemoryJobs({ service: memory, heartbeats, logger }));

    const tokenCache = openTokenCache(config, { clock, logger });
    releasers.push(() => tokenCache.close());
    const tokenIds = createTokenIdSource({ cache: tokenCache, clock, logger, metrics });
    releasers.push(() => tokenIds.flush());
    const context = createContextService({
      recall: async (input) => {
        const result = await recall.recall({
          tenantId: input.tenantId,
          query: input.query,
          offset: input.offset,
          k: input.k,
          ...(input.signal === undefined ? {} : { signal: input.signal }),
          ...(input.sessionId === undefined ? {} : { sessionId: input.sessionId }),
          ...(input.userId === undefined ? {} : { userId: input.userId }),
        });
        return result.items.map((item) => ({
          id: item.id,
          text: item.text,
          score: item.score.fused,
        }));
      },
      tokenizers: createTokenizerRegistry({
        tokenizerPaths: parseTokenizerPaths(config.tokenizers),
      }),
      recallPageSize: MAX_RECALL_K,
      tokenIds,
      clock,
      logger,
    });

    readiness.push({
      name: 'background-jobs',
      check: async () => {
        const stale = heartbeats.snapshot().filter((beat) => !beat.fresh);
        if (stale.length > 0) {
          throw new Error(
            `stale: ${stale.map((beat) => `${beat.name} (${Math.round(beat.ageMs / 1000)} s ago)`).join(', ')}`,
          );
        }
      },
    });

    let started = false;
    return {
      config,
      logger,
      clock,
      metrics,
      heartbeats,
      stores,
      redis,
      readiness,
      embedder,
      chatModel,
      extractor,
      memory,
      recall,
      context,
      tokenIds,
      graph,
      telemetry,
      otlp,
      metricSeries,
      unmapped,
      ingest,
      documentSearch,
      startBackground() {
        if (started) return;
        started = true;
        for (const task of background) task.start();
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
