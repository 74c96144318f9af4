// A job worker: claims jobs from one queue, runs them with bounded concurrency, keeps their leases
// alive while they run, and reports failures to the queue (retry with backoff, or dead).
import { randomBytes } from 'node:crypto';
import { errorMessage, isTransientError } from '../domain/errors.js';
import type { Logger } from '../domain/logger.js';
import { runForTenant } from '../domain/tenant-scope.js';
import type { ClaimedJob, JobQueue } from '../ports/job-queue.js';
import type { Heartbeats } from './heartbeats.js';
import { sleep } from './sleep.js';

export type JobHandler = (job: ClaimedJob, signal: AbortSignal) => Promise<void>;

export interface JobWorkerOptions {
  /** Names the heartbeat, e.g. "worker:ingest". */
  name: string;
  queue: string;
  jobQueue: JobQueue;
  handle: JobHandler;
  concurrency: number;
  leaseMs: number;
  pollMs: number;
  heartbeats: Heartbeats;
  logger: Logger;
  /** How long an idle worker may go without a beat before /ready calls it stale. */
  staleAfterMs?: number;
}

export interface JobWorker {
  readonly workerId: string;
  start(): void;
  /** Stops claiming, lets running jobs finish (their leases protect them if we are killed), resolves when idle. */
  stop(): Promise<void>;
}

export function createJobWorker(options: JobWorkerOptions): JobWorker {
  const workerId = `${options.name}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const logger = options.logger.child({ worker: options.name, workerId });
  const stopping = new AbortController();
  const running = new Set<Promise<void>>();
  let loop: Promise<void> | undefined;

  async function runOne(job: ClaimedJob): Promise<void> {
    const jobLogger = logger.child({ jobId: job.id, tenant: job.tenantId, attempt: job.attempts });
    const abort = new AbortController();
    // Renew the lease at a third of its length so a slow job is never handed to another worker.
    const renew = setInterval(
      () => {
        options.jobQueue.extendLease(job, options.leaseMs).then(
          (held) => {
            if (!held) {
              jobLogger.warn('lease lost while running; abandoning the job');
              abort.abort();
            }
          },
          (error: unknown) => jobLogger.warn({ err: error }, 'lease renewal failed'),
        );
      },
      Math.max(10, Math.floor(options.leaseMs / 3)),
    );
    try {
      await runForTenant(job.tenantId, () => options.handle(job, abort.signal));
      if (!(await options.jobQueue.complete(job)))
        jobLogger.warn('job finished after its lease was lost');
    } catch (error) {
      const retryable = isTransientError(error);
      const outcome = await options.jobQueue
        .fail(job, { message: errorMessage(error), retryable })
        .catch((failError: unknown) => {
          jobLogger.error(
            { err: failError },
            'could not record the job failure; its lease will expire',
          );
          return 'unrecorded';
        });
      jobLogger.warn({ err: error, outcome }, 'job failed');
    } finally {
      clearInterval(renew);
    }
  }

  async function pollLoop(): Promise<void> {
    while (!stopping.signal.aborted) {
      options.heartbeats.beat(options.name);
      const free = options.concurrency - running.size;
      let claimed: ClaimedJob[] = [];
      if (free > 0) {
        try {
          claimed = await options.jobQueue.claim({
            queue: options.queue,
            workerId,
            limit: free,
            leaseMs: options.leaseMs,
          });
        } catch (error) {
          logger.error({ err: error }, 'claiming jobs failed; retrying after a pause');
        }
      }
      for (const job of claimed) {
        const task = runOne(job).finally(() => running.delete(task));
        running.add(task);
      }
      if (claimed.length === 0 || running.size >= options.concurrency) {
        // Idle, or full: wait for the poll interval or for a slot to free up.
        await Promise.race([
          sleep(options.pollMs, stopping.signal),
          ...(running.size >= options.concurrency ? running : []),
        ]);
      }
    }
  }

  return {
    workerId,
    start() {
      if (loop !== undefined) return;
      options.heartbeats.register(
        options.name,
        options.staleAfterMs ?? Math.max(30_000, options.pollMs * 20),
      );
      loop = pollLoop();
      logger.debug('worker started');
    },
    async stop() {
      stopping.abort();
      await loop;
      await Promise.allSettled([...running]);
      options.heartbeats.unregister(options.name);
      logger.debug('worker stopped');
    },
  };
}
