// The memory capability's background loops, each with a heartbeat read by /ready:
// maintenance (catch-up distillation and embedding), promotion (salient EM → SM) and session
// expiry. Started by runtime.startBackground() in `engram serve` and `engram worker`.
import type { Logger } from '../domain/logger.js';
import type { Heartbeats } from '../jobs/heartbeats.js';
import { runEvery, type PeriodicJob } from '../jobs/periodic.js';
import type { MemoryService } from './memory-service.js';

export interface MemoryJobIntervals {
  maintenanceMs: number;
  promotionMs: number;
  expiryMs: number;
}

export const DEFAULT_MEMORY_JOB_INTERVALS: MemoryJobIntervals = {
  maintenanceMs: 5_000,
  promotionMs: 60_000,
  expiryMs: 60_000,
};

/** Batches one pass may run before yielding to the next interval (a backlog drains quickly). */
const MAX_BATCHES_PER_PASS = 20;
const PROMOTION_BATCH = 500;
const EXPIRY_BATCH = 100;

async function drain(
  pass: () => Promise<number>,
  batch: number,
  signal: AbortSignal,
): Promise<number> {
  let total = 0;
  for (let i = 0; i < MAX_BATCHES_PER_PASS && !signal.aborted; i += 1) {
    const done = await pass();
    total += done;
    if (done < batch) break;
  }
  return total;
}

export interface MemoryJobs {
  start(): void;
  stop(): Promise<void>;
}

export function createMemoryJobs(options: {
  service: MemoryService;
  heartbeats: Heartbeats;
  logger: Logger;
  intervals?: Partial<MemoryJobIntervals>;
}): MemoryJobs {
  const intervals = { ...DEFAULT_MEMORY_JOB_INTERVALS, ...options.intervals };
  const { service, heartbeats } = options;
  const logger = options.logger.child({ component: 'memory-jobs' });
  let jobs: PeriodicJob[] = [];
  return {
    start() {
      if (jobs.length > 0) return;
      jobs = [
        runEvery({
          name: 'memory-maintenance',
          intervalMs: intervals.maintenanceMs,
          heartbeats,
          logger,
          run: async () => {
            const episodes = await service.distillDue();
            const embedded = await service.embedPending();
            if (episodes + embedded > 0)
              logger.debug({ episodes, embedded }, 'memory maintenance pass');
          },
        }),
        runEvery({
          name: 'memory-promotion',
          intervalMs: intervals.promotionMs,
          heartbeats,
          logger,
          run: async (signal) => {
            const promoted = await drain(
              () => service.promoteDue(PROMOTION_BATCH),
              PROMOTION_BATCH,
              signal,
            );
            if (promoted > 0)
              logger.info({ promoted }, 'promoted salient memories to semantic memory');
          },
        }),
        runEvery({
          name: 'memory-session-expiry',
          intervalMs: intervals.expiryMs,
          heartbeats,
          logger,
          run: async (signal) => {
            const removed = await drain(
              () => service.expireSessions(EXPIRY_BATCH),
              EXPIRY_BATCH,
              signal,
            );
            if (removed > 0) logger.info({ removed }, 'removed expired sessions');
          },
        }),
      ];
    },
    async stop() {
      const running = jobs;
      jobs = [];
      await Promise.all(running.map((job) => job.stop()));
    },
  };
}
