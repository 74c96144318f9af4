// Prunes finished jobs: completed and dead jobs are kept for ENGRAM_JOB_RETENTION_MS (to inspect,
// or to requeue a dead one), then deleted in bounded batches by a periodic job on every worker,
// so the job table (or Redis) does not grow with every document ever ingested.
import type { Clock } from '../domain/clock.js';
import type { Logger } from '../domain/logger.js';
import type { JobQueue } from '../ports/job-queue.js';
import type { Heartbeats } from './heartbeats.js';
import { runEvery, type PeriodicJob } from './periodic.js';

export interface JobPrunerOptions {
  jobQueue: Pick<JobQueue, 'pruneFinished'>;
  queues: readonly string[];
  retentionMs: number;
  intervalMs: number;
  clock: Clock;
  heartbeats: Heartbeats;
  logger: Logger;
  /** Jobs deleted per statement, and statements per queue and pass. */
  batchSize?: number;
  maxBatchesPerPass?: number;
}

export interface JobPruner {
  start(): void;
  stop(): Promise<void>;
  /** One pass over every queue; returns how many jobs it deleted. */
  prune(signal?: AbortSignal): Promise<number>;
}

export function createJobPruner(options: JobPrunerOptions): JobPruner {
  const logger = options.logger.child({ component: 'job-pruner' });
  const batchSize = options.batchSize ?? 1_000;
  const maxBatches = options.maxBatchesPerPass ?? 20;
  let periodic: PeriodicJob | undefined;

  async function prune(signal?: AbortSignal): Promise<number> {
    const finishedBefore = options.clock.now() - options.retentionMs;
    let total = 0;
    for (const queue of options.queues) {
      for (let batch = 0; batch < maxBatches && signal?.aborted !== true; batch += 1) {
        const deleted = await options.jobQueue.pruneFinished({
          queue,
          finishedBefore,
          limit: batchSize,
        });
        total += deleted;
        if (deleted < batchSize) break;
      }
    }
    if (total > 0) logger.info({ jobs: total }, 'pruned finished jobs');
    return total;
  }

  return {
    prune,
    start() {
      periodic ??= runEvery({
        name: 'jobs:prune',
        intervalMs: options.intervalMs,
        run: async (signal) => {
          await prune(signal);
        },
        heartbeats: options.heartbeats,
        logger,
      });
    },
    async stop() {
      await periodic?.stop();
      periodic = undefined;
    },
  };
}
