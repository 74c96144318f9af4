// The ingestion pipeline: chunk → embed → extract → index, run by a job worker for one document.
// Every stage is idempotent (chunks upserted by document and ordinal, vectors only for chunks
// without one, index rows rebuilt per chunk), so a retry or a killed worker resumes without
// duplicates. The document row always says where the document is: processing + stage while a
// stage runs, pending + stage + error while a retry waits, failed + stage + error when no retry
// is left (or the error is permanent), completed + counts + timings at the end.
import type { Clock } from '../domain/clock.js';
import { AppError, errorMessage, isAppError, isTransientError } from '../domain/errors.js';
import type { Logger } from '../domain/logger.js';
import type {
  DocumentMimeType,
  DocumentStore,
  PipelineStage,
  StageTimings,
} from '../ports/document-store.js';
import type { Embedder } from '../ports/embedder.js';
import type { ChunkScope } from '../ports/graph-store.js';
import { chunkDocument } from './chunker.js';
import type { TokenCounter } from './token-counter.js';

export const INGEST_QUEUE = 'ingest';
export const PIPELINE_STAGES: readonly PipelineStage[] = ['chunk', 'embed', 'extract', 'index'];

/** What the knowledge-graph service offers the extract stage (it must upsert, so reruns are safe). */
export type ExtractFn = (input: {
  tenantId: string;
  documentId: string;
  chunks: { id: string; ordinal: number; text: string }[];
  signal?: AbortSignal;
}) => Promise<ExtractCounts>;

/** What the extract stage writes on the document: graph counts and the chunks left out. */
export interface ExtractCounts {
  entities: number;
  relations: number;
  /** Chunks read, and chunks the extractor could not read (the document completes without them). */
  extractedChunks: number;
  failedChunks: number;
  /** The first left-out chunk's cause; null when none failed. */
  failure: string | null;
}

const NOTHING_EXTRACTED: ExtractCounts = {
  entities: 0,
  relations: 0,
  extractedChunks: 0,
  failedChunks: 0,
  failure: null,
};

/**
 * Drops a document's mentions and the entities and relations nothing else supports; with
 * `chunks`, only the support from some of its chunks (see GraphStore.removeDocument).
 */
export type RemoveGraphFn = (
  tenantId: string,
  documentId: string,
  chunks?: ChunkScope,
) => Promise<unknown>;

export interface IngestJobPayload {
  documentId: string;
}

export interface PipelineRun {
  tenantId: string;
  documentId: string;
  /** This run's attempt number (1-based) and how many the queue allows. */
  attempt: number;
  maxAttempts: number;
}

export interface IngestPipelineOptions {
  store: DocumentStore;
  embedder: Embedder;
  extract?: ExtractFn | undefined;
  removeGraph?: RemoveGraphFn | undefined;
  countTokens: TokenCounter;
  chunkTokens: number;
  chunkOverlap: number;
  /** Time a document's parser may take (ENGRAM_PARSE_TIMEOUT_MS). */
  parseTimeoutMs?: number | undefined;
  /** Chunks per embedder call; each batch is stored before the next, so a crash loses one batch at most. */
  embedBatchSize: number;
  clock: Clock;
  logger: Logger;
  /** Runs before each stage; tests use it to fail or stall a stage. */
  beforeStage?: (stage: PipelineStage, run: PipelineRun) => Promise<void> | void;
}

export type PipelineOutcome = 'completed' | 'already-completed' | 'deleted';

export interface IngestPipeline {
  run(run: PipelineRun, signal?: AbortSignal): Promise<PipelineOutcome>;
}

/** The text a chunk is embedded as: its headings give a short passage its context. */
export function embeddingText(chunk: { headingPath: string[]; text: string }): string {
  return chunk.headingPath.length === 0
    ? chunk.text
    : `${chunk.headingPath.join(' > ')}\n\n${chunk.text}`;
}

export function createIngestPipeline(options: IngestPipelineOptions): IngestPipeline {
  const { store, embedder, clock } = options;

  /** Chunks the stored content; returns the count and the title the document names, if any. */
  async function chunkStage(
    run: PipelineRun,
    mimeType: DocumentMimeType,
  ): Promise<{ chunkCount: number; title: string | null }> {
    const content = await store.getDocumentContent(run.tenantId, run.documentId);
    if (content === undefined) throw gone(run.documentId);
    const { chunks, title } = await chunkDocument(content, mimeType, {
      chunkTokens: options.chunkTokens,
      overlap: options.chunkOverlap,
      countTokens: options.countTokens,
      parseTimeoutMs: options.parseTimeoutMs,
    });
    await store.replaceChunks(run.tenantId, run.documentId, chunks);
    return { chunkCount: chunks.length, title };
  }

  async function embedStage(run: PipelineRun, signal: AbortSignal | undefined): Promise<void> {
    const missing = (await store.listChunks(run.tenantId, run.documentId)).filter(
      (chunk) => !chunk.hasVector,
    );
    let bound = false;
    for (let i = 0; i < missing.length; i += options.embedBatchSize) {
      signal?.throwIfAborted();
      const batch = missing.slice(i, i + options.embedBatchSize);
      const vectors = await embedder.embed(
        batch.map(embeddingText),
        signal === undefined ? {} : { signal },
      );
      if (vectors.length !== batch.length) {
        throw new AppError(
          'PROVIDER_FAILED',
          `Embedder ${embedder.id} returned ${vectors.length} vectors for ${batch.length} texts.`,
          {
            retryable: true,
          },
        );
      }
      // Throws EMBEDDER_MISMATCH (permanent) when the store holds another embedder's vectors;
      // once bound, the space cannot change under this run.
      if (!bound) {
        await store.bindVectorSpace({ embedderId: embedder.id, dimension: vectors[0]!.length });
        bound = true;
      }
      await store.upsertVectors(
        run.tenantId,
        batch.map((chunk, j) => ({ chunkId: chunk.id, vector: vectors[j]! })),
      );
    }
  }

  /** Graph support is recorded under `graphId`: the document's id, also for a staged version. */
  async function extractStage(
    run: PipelineRun,
    graphId: string,
    signal: AbortSignal | undefined,
  ): Promise<ExtractCounts> {
    if (options.extract === undefined) return NOTHING_EXTRACTED;
    const chunks = await store.listChunks(run.tenantId, run.documentId);
    const result = await options.extract({
      tenantId: run.tenantId,
      documentId: graphId,
      chunks: chunks.map((chunk) => ({ id: chunk.id, ordinal: chunk.ordinal, text: chunk.text })),
      ...(signal === undefined ? {} : { signal }),
    });
    // Deleted while we extracted: the catch below takes back what we just added.
    if ((await store.getDocument(run.tenantId, run.documentId)) === undefined)
      throw gone(run.documentId);
    return result;
  }

  /**
   * Takes back the graph support of a run whose row is gone or failed for good: a staged
   * version's own chunks only (the live version keeps its support), a deleted document's all.
   */
  async function dropGraphOf(run: PipelineRun, graphId: string, versionChunks: string[] | null) {
    if (options.removeGraph === undefined) return;
    if (graphId === run.documentId) await options.removeGraph(run.tenantId, graphId);
    else if (versionChunks !== null && versionChunks.length > 0)
      await options.removeGraph(run.tenantId, graphId, { only: versionChunks });
  }

  return {
    async run(run, signal) {
      const logger = options.logger.child({
        tenant: run.tenantId,
        documentId: run.documentId,
        attempt: run.attempt,
      });
      const document = await store.getDocument(run.tenantId, run.documentId);
      if (document === undefined) return 'deleted';
      if (document.status === 'completed') return 'already-completed';

      // A staged version (see DocumentStore.createDocument) runs under its own row and is swapped
      // into its document at the end; its graph support is recorded under the document's id.
      const graphId = document.replaces ?? document.id;
      let versionChunks: string[] | null = null;
      const started = clock.now();
      const timings: StageTimings = {};
      const counts = {
        chunkCount: document.chunkCount,
        entityCount: 0,
        relationCount: 0,
        extractedChunks: 0,
        failedChunks: 0,
        extractionFailure: null as string | null,
      };
      let stage: PipelineStage = 'chunk';
      try {
        await store.updateDocument(run.tenantId, run.documentId, {
          status: 'processing',
          stage,
          attempts: document.attempts + 1,
          error: null,
          startedAt: started,
          completedAt: null,
          now: started,
        });
        for (stage of PIPELINE_STAGES) {
          signal?.throwIfAborted();
          const stageStart = clock.now();
          if (stage !== 'chunk')
            await store.updateDocument(run.tenantId, run.documentId, { stage, now: stageStart });
          await options.beforeStage?.(stage, run);
          if (stage === 'chunk') {
            const chunked = await chunkStage(run, document.mimeType);
            counts.chunkCount = chunked.chunkCount;
            // A title sent with the document wins over the one the document names.
            if (document.title === null && chunked.title !== null)
              await store.updateDocument(run.tenantId, run.documentId, {
                title: chunked.title,
                now: clock.now(),
              });
          } else if (stage === 'embed') await embedStage(run, signal);
          else if (stage === 'extract') {
            if (document.replaces !== null)
              versionChunks = (await store.listChunks(run.tenantId, run.documentId)).map(
                (chunk) => chunk.id,
              );
            const extracted = await extractStage(run, graphId, signal);
            counts.entityCount = extracted.entities;
            counts.relationCount = extracted.relations;
            counts.extractedChunks = extracted.extractedChunks;
            counts.failedChunks = extracted.failedChunks;
            counts.extractionFailure = extracted.failure;
          } else await store.indexDocument(run.tenantId, run.documentId);
          timings[stage] = clock.now() - stageStart;
        }
        const finished = clock.now();
        timings.total = finished - started;
        const completion = {
          status: 'completed',
          stage: null,
          error: null,
          ...counts,
          timings,
          completedAt: finished,
          now: finished,
        } as const;
        if (document.replaces === null)
          await store.updateDocument(run.tenantId, run.documentId, completion);
        else {
          // The old version's graph support goes first, then its chunks in one transaction: a
          // crash between the two leaves this row staged, and the retry repeats both (idempotent).
          const kept = (await store.listChunks(run.tenantId, run.documentId)).map((c) => c.id);
          await options.removeGraph?.(run.tenantId, graphId, { keep: kept });
          await store.completeVersion(run.tenantId, run.documentId, completion);
        }
        logger.info(
          { chunks: counts.chunkCount, failedChunks: counts.failedChunks, ms: timings.total },
          counts.failedChunks > 0
            ? 'document ingested; the graph extractor left out chunks it could not read'
            : 'document ingested',
        );
        return 'completed';
      } catch (error) {
        if (isAppError(error) && error.code === 'DOCUMENT_NOT_FOUND') {
          logger.info('document deleted (or version replaced) while being ingested; stopping');
          await dropGraphOf(run, graphId, versionChunks);
          return 'deleted';
        }
        if (signal?.aborted === true) {
          // Lease lost or worker stopping: another worker owns the document's row now.
          logger.warn({ stage }, 'ingestion abandoned');
          throw error;
        }
        const final = !isTransientError(error) || run.attempt >= run.maxAttempts;
        const message = errorMessage(error).slice(0, 2000);
        logger.warn(
          { err: error, stage, final },
          final ? 'ingestion failed' : 'ingestion stage failed; will retry',
        );
        await store
          .updateDocument(run.tenantId, run.documentId, {
            status: final ? 'failed' : 'pending',
            stage,
            error: message,
            timings,
            now: clock.now(),
          })
          .catch((updateError: unknown) =>
            logger.warn({ err: updateError }, 'could not record the failure on the document'),
          );
        // A version that will never go live takes its facts back; the live version keeps its own.
        if (final && document.replaces !== null)
          await dropGraphOf(run, graphId, versionChunks).catch((graphError: unknown) =>
            logger.warn({ err: graphError }, 'could not remove the failed version from the graph'),
          );
        throw error;
      }
    },
  };
}

function gone(documentId: string): AppError {
  return new AppError('DOCUMENT_NOT_FOUND', `Document ${documentId} was deleted.`);
}
