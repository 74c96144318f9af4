// The job worker on a real SQLite queue: runs jobs, retries then dead-letters, fails permanent
// errors at once, and stops only after its running jobs finish.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqlite, type SqliteDatabase } from '../../src/adapters/sqlite/database.js';
import { createSqliteJobQueue } from '../../src/adapters/sqlite/job-queue.js';
import { systemClock } from '../../src/domain/clock.js';
import { AppError } from '../../src/domain/errors.js';
import { createSilentLogger } from '../../src/domain/logger.js';
import { createHeartbeats } from '../../src/jobs/heartbeats.js';
import { createJobWorker, type JobHandler, type JobWorker } from '../../src/jobs/worker.js';
import type { JobQueue } from '../../src/ports/job-queue.js';

const dir = mkdtempSync(join(tmpdir(), 'engram-worker-'));
let database: SqliteDatabase | undefined;
let worker: JobWorker | undefined;

afterEach(async () => {
  await worker?.stop();
  database?.close();
  worker = undefined;
  database = undefined;
});

function setup(
  handle: JobHandler,
  concurrency = 2,
): { queue: JobQueue; heartbeats: ReturnType<typeof createHeartbeats> } {
  database = openSqlite({ path: join(dir, `${Math.random().toString(36).slice(2)}.db`) });
  const queue = createSqliteJobQueue(database.db, systemClock, {
    backoffBaseMs: 1,
    backoffMaxMs: 5,
    defaultMaxAttempts: 3,
  });
  const heartbeats = createHeartbeats(systemClock);
  worker = createJobWorker({
    name: 'worker:test',
    queue: 'test',
    jobQueue: queue,
    handle,
    concurrency,
    leaseMs: 5_000,
    pollMs: 5,
    heartbeats,
    logger: createSilentLogger(),
  });
  return { queue, heartbeats };
}

async function until(condition: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 2_000; i += 1) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error('condition not reached');
}

describe('job worker', () => {
  it('runs every job once', async () => {
    const seen: unknown[] = [];
    const { queue, heartbeats } = setup(async (job) => {
      seen.push(job.payload);
    });
    for (let i = 0; i < 20; i += 1)
      await queue.enqueue({ tenantId: 't', queue: 'test', payload: i });
    worker!.start();
    await until(async () => (await queue.counts('test')).completed === 20);
    expect([...seen].sort((a, b) => Number(a) - Number(b))).toEqual(
      Array.from({ length: 20 }, (_, i) => i),
    );
    expect(heartbeats.snapshot()).toContainEqual(
      expect.objectContaining({ name: 'worker:test', fresh: true }),
    );
  });

  it('retries a failing job with backoff and dead-letters it after its attempts', async () => {
    let calls = 0;
    const { queue } = setup(async () => {
      calls += 1;
      throw new Error('flaky dependency');
    });
    const { job } = await queue.enqueue({ tenantId: 't', queue: 'test', payload: null });
    worker!.start();
    await until(async () => (await queue.get('t', job.id))?.state === 'dead');
    expect(calls).toBe(3);
    expect(await queue.get('t', job.id)).toMatchObject({
      attempts: 3,
      lastError: 'flaky dependency',
    });
  });

  it('fails a permanent error at once', async () => {
    let calls = 0;
    const { queue } = setup(async () => {
      calls += 1;
      throw new AppError('VALIDATION_FAILED', 'unsupported mime type');
    });
    const { job } = await queue.enqueue({ tenantId: 't', queue: 'test', payload: null });
    worker!.start();
    await until(async () => (await queue.get('t', job.id))?.state === 'dead');
    expect(calls).toBe(1);
  });

  it('finishes running jobs before stop() resolves', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let finished = false;
    const { queue } = setup(async () => {
      await gate;
      finished = true;
    });
    await queue.enqueue({ tenantId: 't', queue: 'test', payload: null });
    worker!.start();
    await until(async () => (await queue.counts('test')).running === 1);
    const stopped = worker!.stop();
    release();
    await stopped;
    expect(finished).toBe(true);
    expect((await queue.counts('test')).completed).toBe(1);
    worker = undefined;
  });
});

process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
