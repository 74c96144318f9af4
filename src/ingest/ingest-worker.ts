// The ingestion worker: a job worker on the `ingest` queue that runs the pipeline for each
// claimed document, plus a sweep at start that re-queues documents left without a live job.
import { AppError } from '../domain/errors.js';
import type { Logger } from '../domain/logger.js';
import type { Heartbeats } from '../jobs/heartbeats.js';
import { createJobWorker, type JobWorker } from '../jobs/worker.js';
import type { JobQueue } from '../ports/job-queue.js';
import type { IngestService } from './ingest-service.js';
import { INGEST_QUEUE, type IngestJobPayload, type IngestPipeline } from './pipeline.js';

export interface IngestWorkerOptions {
  jobQueue: JobQueue;
  pipeline: IngestPipeline;
  /** When given, documents stalled for two leases are re-queued on start. */
  service?: IngestService;
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
  return {
    workerId: worker.workerId,
    start() {
      worker.start();
      options.service?.recoverStalled(options.leaseMs * 2).catch((error: unknown) => {
        logger.warn({ err: error }, 'could not re-queue stalled documents');
      });
    },
    stop: () => worker.stop(),
  };
}
