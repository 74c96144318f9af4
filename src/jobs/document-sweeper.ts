// The document sweeper: a document's status must not outlive its job. Run periodically on every
// worker, it looks at documents left pending or processing for longer than a lease and at the job
// that should be moving each one. A dead job (attempts exhausted, including a worker that died on
// its last attempt and let the lease expire) fails the document with the job's reason; a job that
// is gone, or finished without finishing the document, is queued again while attempts remain and
// fails the document otherwise. Live jobs (queued, or running under a lease) are left alone.
import type { Clock } from '../domain/clock.js';
import type { Logger } from '../domain/logger.js';
import type { DocumentRecord, DocumentStore } from '../ports/document-store.js';
import type { Job, JobQueue } from '../ports/job-queue.js';

export interface DocumentSweeperOptions {
  store: Pick<DocumentStore, 'listStalled' | 'getDocument' | 'updateDocument'>;
  jobQueue: Pick<JobQueue, 'findByKey'>;
  queue: string;
  /** The job key of a document (what the ingest service enqueues it under). */
  jobKey: (document: DocumentRecord) => string;
  /** Queues the document's job again (idempotent: a live job is not duplicated). */
  requeue: (document: DocumentRecord) => Promise<void>;
  /** Pipeline runs a document gets; a lost job past them fails the document. */
  maxAttempts: number;
  /** Documents untouched for this long are looked at (a lease: the pipeline writes every stage). */
  stalledAfterMs: number;
  clock: Clock;
  logger: Logger;
  /** Documents looked at per pass. */
  batchSize?: number;
}

export interface SweepResult {
  failed: number;
  requeued: number;
}

export interface DocumentSweeper {
  sweep(): Promise<SweepResult>;
}

export function createDocumentSweeper(options: DocumentSweeperOptions): DocumentSweeper {
  const logger = options.logger.child({ component: 'document-sweeper' });

  async function fail(document: DocumentRecord, reason: string): Promise<void> {
    await options.store.updateDocument(document.tenantId, document.id, {
      status: 'failed',
      error: reason,
      now: options.clock.now(),
    });
    logger.warn(
      { tenant: document.tenantId, documentId: document.id, reason },
      'document failed: its job can no longer finish it',
    );
  }

  function lostReason(job: Job | undefined, document: DocumentRecord): string {
    return job === undefined
      ? `its ingest job was lost after ${document.attempts} of ${options.maxAttempts} attempts`
      : `its ingest job finished (${job.state}) without finishing the document after ${document.attempts} of ${options.maxAttempts} attempts`;
  }

  return {
    async sweep() {
      const stalled = await options.store.listStalled({
        updatedBefore: options.clock.now() - options.stalledAfterMs,
        limit: options.batchSize ?? 500,
      });
      const result: SweepResult = { failed: 0, requeued: 0 };
      for (const document of stalled) {
        const job = await options.jobQueue.findByKey(options.queue, options.jobKey(document));
        if (job?.state === 'queued' || job?.state === 'running') continue;
        try {
          // A worker (or a user's retry) may have moved it since the listing: act on news only.
          const current = await options.store.getDocument(document.tenantId, document.id);
          if (current === undefined || current.updatedAt !== document.updatedAt) continue;
          if (job?.state === 'dead') {
            await fail(document, job.lastError ?? 'its ingest job ran out of attempts');
            result.failed += 1;
          } else if (document.attempts >= options.maxAttempts) {
            await fail(document, lostReason(job, document));
            result.failed += 1;
          } else {
            await options.requeue(document);
            result.requeued += 1;
          }
        } catch (error) {
          // Deleted meanwhile, or the store hiccupped: the next pass looks again.
          logger.warn({ err: error, documentId: document.id }, 'could not sweep a document');
        }
      }
      if (result.requeued > 0)
        logger.info({ documents: result.requeued }, 're-queued documents whose job was lost');
      return result;
    },
  };
}
