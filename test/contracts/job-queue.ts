// The JobQueue contract: every adapter must pass these, on a clock the test moves.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/domain/clock.js';
import type { JobQueue, JobQueueOptions } from '../../src/ports/job-queue.js';

type ManualClock = ReturnType<typeof createManualClock>;

export interface JobQueueFixture {
  queue: JobQueue;
  close(): Promise<void>;
}

export type MakeJobQueue = (
  clock: ManualClock,
  options: JobQueueOptions,
) => Promise<JobQueueFixture>;

const options: JobQueueOptions = { backoffBaseMs: 1000, backoffMaxMs: 8000, defaultMaxAttempts: 3 };

export function describeJobQueue(
  name: string,
  make: MakeJobQueue,
  enabled: () => boolean = () => true,
): void {
  describe(`JobQueue contract: ${name}`, () => {
    let clock: ManualClock;
    let fixture: JobQueueFixture | undefined;
    let queue: JobQueue;

    beforeEach(async (context) => {
      if (!enabled()) context.skip();
      clock = createManualClock();
      fixture = await make(clock, options);
      queue = fixture.queue;
    });
    afterEach(async () => {
      await fixture?.close();
      fixture = undefined;
    });

    it('runs a job once: enqueue, claim, complete', async () => {
      const { job, created } = await queue.enqueue({
        tenantId: 't1',
        queue: 'q',
        payload: { n: 1 },
      });
      expect(created).toBe(true);
      const claimed = await queue.claim({ queue: 'q', workerId: 'w1', limit: 10, leaseMs: 5000 });
      expect(claimed.map((c) => c.id)).toEqual([job.id]);
      expect(claimed[0]!.payload).toEqual({ n: 1 });
      expect(claimed[0]!.attempts).toBe(1);
      expect(await queue.claim({ queue: 'q', workerId: 'w2', limit: 10, leaseMs: 5000 })).toEqual(
        [],
      );
      expect(await queue.complete(claimed[0]!)).toBe(true);
      expect((await queue.get('t1', job.id))?.state).toBe('completed');
      expect(await queue.counts('q')).toEqual({ queued: 0, running: 0, completed: 1, dead: 0 });
    });

    it('keeps one live job per key and restarts a finished one', async () => {
      const first = await queue.enqueue({ tenantId: 't1', queue: 'q', key: 'doc-1', payload: 1 });
      const again = await queue.enqueue({ tenantId: 't1', queue: 'q', key: 'doc-1', payload: 2 });
      expect(again.created).toBe(false);
      expect(again.job.id).toBe(first.job.id);
      const [claimed] = await queue.claim({ queue: 'q', workerId: 'w', limit: 1, leaseMs: 1000 });
      await queue.complete(claimed!);
      const restarted = await queue.enqueue({
        tenantId: 't1',
        queue: 'q',
        key: 'doc-1',
        payload: 3,
      });
      expect(restarted.created).toBe(true);
      expect(restarted.job.state).toBe('queued');
      expect(restarted.job.attempts).toBe(0);
      expect(restarted.job.payload).toBe(3);
    });

    it('does not run a job before its time', async () => {
      await queue.enqueue({
        tenantId: 't1',
        queue: 'q',
        payload: null,
        runAt: clock.now() + 10_000,
      });
      expect(await queue.claim({ queue: 'q', workerId: 'w', limit: 1, leaseMs: 1000 })).toEqual([]);
      clock.advance(10_000);
      expect(
        await queue.claim({ queue: 'q', workerId: 'w', limit: 1, leaseMs: 1000 }),
      ).toHaveLength(1);
    });

    it('retries a retryable failure with backoff, then dead-letters it', async () => {
      const { job } = await queue.enqueue({ tenantId: 't1', queue: 'q', payload: null });
      for (let attempt = 1; attempt <= 3; attempt += 1) {
        const [claimed] = await queue.claim({ queue: 'q', workerId: 'w', limit: 1, leaseMs: 1000 });
        expect(claimed?.attempts).toBe(attempt);
        const outcome = await queue.fail(claimed!, { message: `boom ${attempt}`, retryable: true });
        expect(outcome).toBe(attempt < 3 ? 'retrying' : 'dead');
        if (attempt < 3) {
          // Backoff: not due at once, due after the ceiling for this attempt.
          expect(await queue.claim({ queue: 'q', workerId: 'w', limit: 1, leaseMs: 1000 })).toEqual(
            [],
          );
          clock.advance(1000 * 2 ** (attempt - 1));
        }
      }
      const dead = await queue.get('t1', job.id);
      expect(dead).toMatchObject({ state: 'dead', attempts: 3, lastError: 'boom 3' });
      expect((await queue.list({ queue: 'q', state: 'dead', limit: 10 })).map((j) => j.id)).toEqual(
        [job.id],
      );
      const requeued = await queue.requeue('t1', job.id);
      expect(requeued).toMatchObject({ state: 'queued', attempts: 0 });
    });

    it('fails a permanent error at once', async () => {
      await queue.enqueue({ tenantId: 't1', queue: 'q', payload: null });
      const [claimed] = await queue.claim({ queue: 'q', workerId: 'w', limit: 1, leaseMs: 1000 });
      expect(await queue.fail(claimed!, { message: 'bad input', retryable: false })).toBe('dead');
    });

    it('gives an expired lease to another worker, and the old holder cannot finish it', async () => {
      await queue.enqueue({ tenantId: 't1', queue: 'q', payload: null });
      const [first] = await queue.claim({ queue: 'q', workerId: 'w1', limit: 1, leaseMs: 1000 });
      clock.advance(500);
      expect(await queue.extendLease(first!, 1000)).toBe(true);
      clock.advance(999);
      expect(await queue.claim({ queue: 'q', workerId: 'w2', limit: 1, leaseMs: 1000 })).toEqual(
        [],
      );
      clock.advance(2);
      const [second] = await queue.claim({ queue: 'q', workerId: 'w2', limit: 1, leaseMs: 1000 });
      expect(second?.attempts).toBe(2);
      expect(await queue.complete(first!)).toBe(false);
      expect(await queue.fail(first!, { message: 'late', retryable: true })).toBe('lease-lost');
      expect(await queue.complete(second!)).toBe(true);
    });

    it('dead-letters a job whose holders keep dying', async () => {
      const { job } = await queue.enqueue({
        tenantId: 't1',
        queue: 'q',
        payload: null,
        maxAttempts: 2,
      });
      await queue.claim({ queue: 'q', workerId: 'w1', limit: 1, leaseMs: 1000 });
      clock.advance(1001);
      await queue.claim({ queue: 'q', workerId: 'w2', limit: 1, leaseMs: 1000 });
      clock.advance(1001);
      expect(await queue.claim({ queue: 'q', workerId: 'w3', limit: 1, leaseMs: 1000 })).toEqual(
        [],
      );
      expect((await queue.get('t1', job.id))?.state).toBe('dead');
    });

    it('hands each job to exactly one of many concurrent claimers', async () => {
      for (let i = 0; i < 40; i += 1)
        await queue.enqueue({ tenantId: 't1', queue: 'q', payload: i });
      const batches = await Promise.all(
        Array.from({ length: 8 }, (_, w) =>
          queue.claim({ queue: 'q', workerId: `w${w}`, limit: 10, leaseMs: 5000 }),
        ),
      );
      const ids = batches.flat().map((job) => job.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.length).toBe(40);
    });

    it('finds a job by its key, across tenants', async () => {
      const { job } = await queue.enqueue({ tenantId: 't1', queue: 'q', key: 'doc-9', payload: 1 });
      expect((await queue.findByKey('q', 'doc-9'))?.id).toBe(job.id);
      expect(await queue.findByKey('q', 'doc-10')).toBeUndefined();
      expect(await queue.findByKey('other', 'doc-9')).toBeUndefined();
    });

    it('prunes finished jobs older than the cut-off, never live or newer ones', async () => {
      const done = await queue.enqueue({ tenantId: 't1', queue: 'q', key: 'old', payload: 1 });
      const dead = await queue.enqueue({ tenantId: 't2', queue: 'q', payload: 2, maxAttempts: 1 });
      const claimed = await queue.claim({ queue: 'q', workerId: 'w', limit: 2, leaseMs: 1000 });
      for (const job of claimed) {
        if (job.id === done.job.id) await queue.complete(job);
        else await queue.fail(job, { message: 'bad input', retryable: false });
      }
      clock.advance(10_000);
      const cutOff = clock.now();
      const fresh = await queue.enqueue({ tenantId: 't1', queue: 'q', payload: 3 });
      const [recent] = await queue.claim({ queue: 'q', workerId: 'w', limit: 1, leaseMs: 1000 });
      await queue.complete(recent!);
      const live = await queue.enqueue({
        tenantId: 't1',
        queue: 'q',
        payload: 4,
        runAt: cutOff * 2,
      });
      clock.advance(10_000);

      expect(
        await queue.pruneFinished({ queue: 'other', finishedBefore: cutOff, limit: 100 }),
      ).toBe(0);
      expect(await queue.pruneFinished({ queue: 'q', finishedBefore: cutOff, limit: 1 })).toBe(1);
      expect(await queue.pruneFinished({ queue: 'q', finishedBefore: cutOff, limit: 100 })).toBe(1);
      expect(await queue.get('t1', done.job.id)).toBeUndefined();
      expect(await queue.get('t2', dead.job.id)).toBeUndefined();
      expect((await queue.get('t1', fresh.job.id))?.state).toBe('completed');
      expect((await queue.get('t1', live.job.id))?.state).toBe('queued');
      expect(await queue.counts('q')).toEqual({ queued: 1, running: 0, completed: 1, dead: 0 });
      // The key of a pruned job is free again: enqueueing it starts a new job.
      expect(await queue.findByKey('q', 'old')).toBeUndefined();
      const again = await queue.enqueue({ tenantId: 't1', queue: 'q', key: 'old', payload: 5 });
      expect(again.created).toBe(true);
      expect(again.job.id).not.toBe(done.job.id);
    });

    it('keeps tenants apart', async () => {
      const { job } = await queue.enqueue({ tenantId: 't1', queue: 'q', payload: null });
      expect(await queue.get('t2', job.id)).toBeUndefined();
      await expect(queue.requeue('t2', job.id)).rejects.toMatchObject({ code: 'JOB_NOT_FOUND' });
    });
  });
}
