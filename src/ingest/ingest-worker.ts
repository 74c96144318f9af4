// The ingestion worker: a job worker on the `ingest` queue that runs the pipeline for each
// claimed document, and beside it the document sweeper (jobs/document-sweeper.ts), run at start
// and then periodically, so a document whose job died or vanished never stays pending or
// processing until some worker restarts.
import type { Clock } from '../domain/clock.js';
import { AppError } from '../domain/errors.js';
import type { Logger } from '../domain/logger.js';
import { createDocumentSweeper } from '../jobs/document-sweeper.js';
import type { Heartbeats } from '../jobs/heartbeats.js';
import { runEvery, type PeriodicJob } from '../jobs/periodic.js';
import { createJobWorker, type JobWorker } from '../jobs/worker.js';
import type { DocumentStore } from '../ports/document-store.js';
import type { JobQueue } from '../ports/job-queue.js';
import { ingestJobKey, type IngestService } from './ingest-service.js';
import { INGEST_QUEUE, type IngestJobPayload, type IngestPipeline } from './pipeline.js';

export interface IngestSweepOptions {
  service: IngestService;
  store: Pick<DocumentStore, 'listStalled' | 'getDocument' | 'updateDocument'>;
  clock: Clock;
  /** Attempts a document's job gets (ENGRAM_JOB_MAX_ATTEMPTS). */
  maxAttempts: number;
  intervalMs: number;
}

export interface IngestWorkerOptions {
  jobQueue: JobQueue;
  pipeline: IngestPipeline;
  /** When given, documents whose job died or vanished are failed or re-queued periodically. */
  sweep?: IngestSweepOptions;
  heartbeats: Heartbeats;
  logger: Logger;
  concurrency: number;
  leaseMs: number;
  pollMs: number;
}

export function createIngestWorker(options: IngestWorkerOptions): JobWorker {
  const logger = options.logger.child({ component: 'ingest-worker' });
  const worker = createJobWorker({
    name: 'worker:ingest',
    queue: INGEST_QUEUE,
    jobQueue: options.jobQueue,
    concurrency: options.concurrency,
    leaseMs: options.leaseMs,
    pollMs: options.pollMs,
    heartbeats: options.heartbeats,
    logger,
    handle: async (job, signal) => {
      const payload = job.payload as Partial<IngestJobPayload> | null;
      if (typeof payload?.documentId !== 'string') {
        throw new AppError(
          'VALIDATION_FAILED',
          `Ingest job ${job.id} has no documentId in its payload.`,
        );
      }
      await options.pipeline.run(
        {
          tenantId: job.tenantId,
          documentId: payload.documentId,
          attempt: job.attempts,
          maxAttempts: job.maxAttempts,
        },
        signal,
      );
    },
  });
  const sweep = options.sweep;
  const sweeper =
    sweep === undefined
      ? undefined
      : createDocumentSweeper({
          store: sweep.store,
          jobQueue: options.jobQueue,
          queue: INGEST_QUEUE,
          jobKey: ingestJobKey,
          requeue: async (document) => {
            await sweep.service.retry(document.tenantId, document.id);
          },
          maxAttempts: sweep.maxAttempts,
          stalledAfterMs: options.leaseMs,
          clock: sweep.clock,
          logger,
        });
  let sweeping: PeriodicJob | undefined;
  return {
    workerId: worker.workerId,
    start() {
      worker.start();
      if (sweeper !== undefined && sweep !== undefined && sweeping === undefined) {
        sweeping = runEvery({
          name: 'ingest:document-sweeper',
          intervalMs: sweep.intervalMs,
          run: async () => {
            await sweeper.sweep();
          },
          heartbeats: options.heartbeats,
          logger,
        });
      }
    },
    async stop() {
      await Promise.all([worker.stop(), sweeping?.stop()]);
      sweeping = undefined;
    },
  };
}
