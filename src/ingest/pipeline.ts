// The ingestion pipeline: chunk → embed → extract → index, run by a job worker for one document.
// Every stage is idempotent (chunks upserted by document and ordinal, vectors only for chunks
// without one, index rows rebuilt per chunk), so a retry or a killed worker resumes without
// duplicates. The extract stage only reads; the graph is written in the transaction that
// completes the document, so a document's facts appear with its completion, all at once, and a
// new version's replace the old version's in the same instant (or nothing lands). The document
// row always says where the document is: processing + stage while a stage runs, pending + stage +
// error while a retry waits, failed + stage + error when no retry is left (or the error is
// permanent), completed + counts + timings at the end.
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
import type { GraphReading, GraphWriter } from '../graph/graph-writer.js';
import type { RunInTransaction } from '../ports/stores.js';
import { chunkDocument } from './chunker.js';
import type { TokenCounter } from './token-counter.js';

export const INGEST_QUEUE = 'ingest';
export const PIPELINE_STAGES: readonly PipelineStage[] = ['chunk', 'embed', 'extract', 'index'];

/**
 * The knowledge graph as ingestion uses it: the extract stage reads (slow, writes nothing); the
 * completing transaction writes what was read, so a document's facts appear together with its
 * completion, and a new version's replace the old version's in the same instant.
 */
export type DocumentGraph = Pick<GraphWriter, 'read' | 'prepare' | 'write'>;

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
  graph?: DocumentGraph | undefined;
  /** Runs the completion (graph write, old version's support out, status) as one transaction. */
  transaction: RunInTransaction;
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

  /** Reads the graph of the run's chunks; nothing is written until the run completes. */
  async function extractStage(
    run: PipelineRun,
    graphId: string,
    signal: AbortSignal | undefined,
  ): Promise<GraphReading | undefined> {
    if (options.graph === undefined) return undefined;
    const chunks = await store.listChunks(run.tenantId, run.documentId);
    return options.graph.read({
      tenantId: run.tenantId,
      documentId: graphId,
      chunks: chunks.map((chunk) => ({ id: chunk.id, ordinal: chunk.ordinal, text: chunk.text })),
      ...(signal === undefined ? {} : { signal }),
    });
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
      let reading: GraphReading | undefined;
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
            reading = await extractStage(run, graphId, signal);
            counts.extractedChunks = reading?.extractedChunks ?? 0;
            counts.failedChunks = reading?.failedChunks ?? 0;
            counts.extractionFailure = reading?.failure ?? null;
          } else await store.indexDocument(run.tenantId, run.documentId);
          timings[stage] = clock.now() - stageStart;
        }
        // Name embeddings (a remote call with some embedders) are made before the transaction.
        const { graph } = options;
        const prepared =
          reading === undefined || graph === undefined
            ? undefined
            : await graph.prepare(run.tenantId, reading, signal);
        signal?.throwIfAborted();
        await options.transaction(async (tx) => {
          if (prepared !== undefined && graph !== undefined) {
            const written = await graph.write(tx.graphStore, run.tenantId, graphId, prepared);
            counts.entityCount = written.entities;
            counts.relationCount = written.relations;
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
          // Throws DOCUMENT_NOT_FOUND when the document was deleted meanwhile: nothing lands.
          if (document.replaces === null)
            await tx.documentStore.updateDocument(run.tenantId, run.documentId, completion);
          else {
            // The old version's graph support goes out with its chunks, as the new one's comes in.
            const kept = (await tx.documentStore.listChunks(run.tenantId, run.documentId)).map(
              (chunk) => chunk.id,
            );
            await tx.graphStore.removeDocument(run.tenantId, graphId, { keep: kept });
            await tx.documentStore.completeVersion(run.tenantId, run.documentId, completion);
          }
        });
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
        throw error;
      }
    },
  };
}

function gone(documentId: string): AppError {
  return new AppError('DOCUMENT_NOT_FOUND', `Document ${documentId} was deleted.`);
}
