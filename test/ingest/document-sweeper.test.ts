// A document's status never outlives its job, without any worker restart: on SQLite, PostgreSQL,
// and PostgreSQL with the Redis job queue, a worker that dies on the last attempt (its lease
// expires) leaves the document failed with the reason, and a document whose job vanished (a crash
// between storing and queueing) is queued again and completes. The runtime's own workers and
// sweeper run; only the dead worker is simulated, by claiming the job and never finishing it.
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisJobQueue } from '../../src/adapters/redis/job-queue.js';
import { createManualClock } from '../../src/domain/clock.js';
import { sha256Hex } from '../../src/domain/hashing.js';
import { newId } from '../../src/domain/ids.js';
import { ingestJobKey } from '../../src/ingest/ingest-service.js';
import { INGEST_QUEUE } from '../../src/ingest/pipeline.js';
import type { JobQueue } from '../../src/ports/job-queue.js';
import type { Runtime } from '../../src/runtime.js';
import {
  dropRedisPrefix,
  postgresAvailable,
  REDIS_URL,
  redisAvailable,
  uniqueName,
} from '../support/backends.js';
import { createTestRuntime, type TestRuntime } from '../support/runtime.js';
import { until } from '../telemetry/backends.js';

const pgUp = await postgresAvailable();
const redisUp = pgUp && (await redisAvailable());
const TENANT = 'acme';

const SETUPS = [
  { name: 'SQLite', backend: 'sqlite' as const, redis: false, up: true },
  { name: 'PostgreSQL', backend: 'postgres' as const, redis: false, up: pgUp },
  { name: 'PostgreSQL + Redis job queue', backend: 'postgres' as const, redis: true, up: redisUp },
];

/** The queue the runtime uses: Redis when configured, else the SQL store's table. */
function jobQueueOf(runtime: Runtime, clock: ReturnType<typeof createManualClock>): JobQueue {
  if (runtime.redis === undefined) return runtime.stores.jobQueue;
  return createRedisJobQueue(runtime.redis, clock, {
    backoffBaseMs: 1_000,
    backoffMaxMs: 60_000,
    defaultMaxAttempts: 1,
  });
}

for (const setup of SETUPS) {
  describe(`document sweeper on ${setup.name}`, () => {
    let test: TestRuntime | undefined;
    const prefix = `${uniqueName('engram_test_sweep')}:`;

    afterEach(async () => {
      await test?.dispose();
      test = undefined;
      if (setup.redis) await dropRedisPrefix(prefix);
    });

    async function start(clock: ReturnType<typeof createManualClock>) {
      test = await createTestRuntime({
        backend: setup.backend,
        clock,
        env: {
          ENGRAM_JOB_MAX_ATTEMPTS: '1',
          ENGRAM_JOB_LEASE_MS: '1000',
          ENGRAM_WORKER_POLL_MS: '20',
          ENGRAM_JOB_SWEEP_INTERVAL_MS: '100',
          ...(setup.redis ? { ENGRAM_REDIS_URL: REDIS_URL, ENGRAM_REDIS_KEY_PREFIX: prefix } : {}),
        },
      });
      return test.runtime;
    }

    it('fails a document whose worker died on its last attempt, with the reason', async (ctx) => {
      if (!setup.up) return ctx.skip(`${setup.name} is not reachable`);
      const clock = createManualClock(Date.now());
      const runtime = await start(clock);
      const { document } = await runtime.ingest.submit(TENANT, {
        content: '# Runbook\n\nRestart the cache before the deploy.',
        mimeType: 'text/markdown',
      });
      // The dying worker: it takes the job (attempt 1 of 1), starts the pipeline, and is killed.
      const claimed = await jobQueueOf(runtime, clock).claim({
        queue: INGEST_QUEUE,
        workerId: 'worker-that-dies',
        limit: 1,
        leaseMs: 1_000,
      });
      expect(claimed.map((job) => job.attempts)).toEqual([1]);
      await runtime.stores.documentStore.updateDocument(TENANT, document.id, {
        status: 'processing',
        stage: 'embed',
        attempts: 1,
        startedAt: clock.now(),
        now: clock.now(),
      });
      clock.advance(60_000); // its lease is long gone
      runtime.startBackground();

      const final = await until(
        () => runtime.ingest.get(TENANT, document.id),
        (doc) => doc.status === 'failed',
        15_000,
      );
      expect(final.status).toBe('failed');
      expect(final.stage).toBe('embed');
      expect(final.error).toMatch(/lease expired on attempt 1 of 1/);
    });

    it('fails it while the other workers keep running (no restart)', async (ctx) => {
      // Deterministic only where a claim is one synchronous call (SQLite): the running worker
      // cannot take the job between the clock moving and the dying worker's claim.
      if (setup.backend !== 'sqlite') return ctx.skip('the dying claim must win a race here');
      const clock = createManualClock(Date.now());
      const runtime = await start(clock);
      runtime.startBackground();
      const content = 'Deploy notes: the cache warms in two minutes.';
      const { document } = await runtime.stores.documentStore.createDocument({
        id: newId('doc', clock.now()),
        tenantId: TENANT,
        namespace: 'default',
        contentHash: sha256Hex(content),
        content,
        title: null,
        mimeType: 'text/plain',
        metadata: {},
        now: clock.now(),
      });
      const queue = jobQueueOf(runtime, clock);
      await queue.enqueue({
        tenantId: TENANT,
        queue: INGEST_QUEUE,
        key: ingestJobKey(document),
        payload: { documentId: document.id },
        maxAttempts: 1,
        runAt: clock.now() + 1_000,
      });
      clock.advance(1_000);
      const claimed = await queue.claim({
        queue: INGEST_QUEUE,
        workerId: 'worker-that-dies',
        limit: 1,
        leaseMs: 1_000,
      });
      expect(claimed.map((job) => job.attempts)).toEqual([1]);
      await runtime.stores.documentStore.updateDocument(TENANT, document.id, {
        status: 'processing',
        stage: 'chunk',
        attempts: 1,
        startedAt: clock.now(),
        now: clock.now(),
      });
      clock.advance(60_000);

      const final = await until(
        () => runtime.ingest.get(TENANT, document.id),
        (doc) => doc.status !== 'processing',
        15_000,
      );
      expect(final.status).toBe('failed');
      expect(final.error).toMatch(/lease expired on attempt 1 of 1/);
    });

    it('queues again a document whose job vanished, and it completes', async (ctx) => {
      if (!setup.up) return ctx.skip(`${setup.name} is not reachable`);
      const clock = createManualClock(Date.now());
      const runtime = await start(clock);
      runtime.startBackground();
      // Stored, then the process died before queueing its job.
      const content = 'Plain notes: the staging database is rebuilt every Monday.';
      const { document } = await runtime.stores.documentStore.createDocument({
        id: newId('doc', clock.now()),
        tenantId: TENANT,
        namespace: 'default',
        contentHash: sha256Hex(content),
        content,
        title: null,
        mimeType: 'text/plain',
        metadata: {},
        now: clock.now(),
      });
      clock.advance(60_000);

      const final = await until(
        () => runtime.ingest.get(TENANT, document.id),
        (doc) => doc.status === 'completed' || doc.status === 'failed',
        30_000,
      );
      expect(final.status, final.error ?? '').toBe('completed');
    });
  });
}
