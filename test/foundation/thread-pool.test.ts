// The thread pool the local embedder and the local extractor run on, with a tiny worker: results
// come back in order whatever the interleaving of calls, a dying thread fails only its batch's
// calls (retryably) and is replaced, an abort drops only its own call, close() stops everything;
// with a depth, a thread holds its next batches and runs them while the event loop is busy.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../src/domain/logger.js';
import { createThreadPool, type PoolBatch } from '../../src/providers/thread-pool.js';

interface EchoPoolSettings {
  threads: number;
  batchSize: number;
  depth?: number;
  /** Collects the pool's telemetry, one entry a batch. */
  batches?: PoolBatch[];
  worker?: string;
}

function echoPool({
  threads,
  batchSize,
  depth = 1,
  batches = [],
  worker = './fixtures/echo-pool-worker',
}: EchoPoolSettings) {
  return createThreadPool<string, string>({
    name: 'echo',
    worker,
    callerUrl: import.meta.url,
    threads,
    batchSize,
    depth,
    maxBatchCost: 12,
    costOf: (item) => item.length,
    logger: createSilentLogger(),
    onBatch: (batch) => batches.push(batch),
  });
}

/** Runs `body` with a new echo pool, closed afterwards whatever happens. */
async function withEchoPool(
  settings: EchoPoolSettings,
  body: (pool: ReturnType<typeof echoPool>) => Promise<void>,
): Promise<void> {
  const pool = echoPool(settings);
  try {
    await body(pool);
  } finally {
    await pool.close();
  }
}

describe('thread pool', () => {
  it.each([1, 3])(
    'answers every call with its own results in order, however calls interleave (depth %i)',
    async (depth) => {
      await withEchoPool({ threads: 2, batchSize: 3, depth }, async (pool) => {
        await fc.assert(
          fc.asyncProperty(
            fc.array(fc.array(fc.stringMatching(/^[a-z]{0,8}$/), { maxLength: 12 }), {
              minLength: 1,
              maxLength: 6,
            }),
            async (calls) => {
              const answers = await Promise.all(calls.map((items) => pool.run(items)));
              expect(answers).toEqual(
                calls.map((items) => items.map((item) => item.toUpperCase())),
              );
            },
          ),
          { numRuns: 40 },
        );
        expect(pool.stats()).toEqual({ threads: 2, queuedItems: 0 });
      });
    },
  );

  it.each([
    [1, 1],
    [3, 3],
  ])(
    'with depth %i, a thread runs %i batch(es) while the event loop is blocked',
    async (depth, ran) => {
      await withEchoPool({ threads: 1, batchSize: 1, depth }, async (pool) => {
        await pool.run(['started']);
        const stamps = pool.run(['!stamp', '!stamp', '!stamp']);
        const blockedUntil = Date.now() + 300;
        while (Date.now() < blockedUntil) {
          // The event loop is busy, as with a long synchronous write: nothing is dispatched.
        }
        const before = (await stamps).filter((stamp) => Number(stamp) < blockedUntil);
        expect(before).toHaveLength(ran);
      });
    },
  );

  it('answers a thread’s batches in the order it took them, a slow one first', async () => {
    await withEchoPool({ threads: 1, batchSize: 1, depth: 3 }, async (pool) => {
      const finished: string[] = [];
      await Promise.all(
        ['!slow', 'quick'].map((item) => pool.run([item]).then(() => finished.push(item))),
      );
      expect(finished).toEqual(['!slow', 'quick']);
    });
  });

  it('answers a batch whose results cannot be sent with that error, and runs the next', async () => {
    await withEchoPool({ threads: 1, batchSize: 1, depth: 3 }, async (pool) => {
      await pool.run(['started']);
      const failing = pool.run(['!uncloneable']).catch((error: unknown) => error);
      const next = pool.run(['a']);
      expect(await failing).toMatchObject({
        code: 'PROVIDER_FAILED',
        message: expect.stringContaining('could not be cloned') as string,
      });
      await expect(next).resolves.toEqual(['A']);
    });
  });

  it('fails only the batch that kills a new thread; the batches it held run on the next', async () => {
    await withEchoPool({ threads: 1, batchSize: 1, depth: 3 }, async (pool) => {
      const dying = pool.run(['!die']).catch((error: unknown) => error);
      const a = pool.run(['a']);
      const b = pool.run(['b']);
      expect(await dying).toMatchObject({ code: 'PROVIDER_FAILED', retryable: false });
      await expect(a).resolves.toEqual(['A']);
      await expect(b).resolves.toEqual(['B']);
    });
  });

  it('frees a thread whose running batch belongs to a call that failed elsewhere', async () => {
    await withEchoPool({ threads: 2, batchSize: 1, depth: 2 }, async (pool) => {
      await pool.run(['w1', 'w2']);
      // One call over both threads: its second batch fails, its first hangs for good.
      await expect(pool.run(['!hang', '!throw'])).rejects.toMatchObject({
        code: 'PROVIDER_FAILED',
      });
      await expect(pool.run(['x', 'y'])).resolves.toEqual(['X', 'Y']);
    });
  });

  it('gives a thread one batch of a small call, not one per batch it may hold', async () => {
    const batches: PoolBatch[] = [];
    await withEchoPool({ threads: 1, batchSize: 3, batches, depth: 3 }, async (pool) => {
      await pool.run(['a', 'b', 'c']);
      expect(batches.map((batch) => batch.items)).toEqual([3]);
    });
  });

  it('counts the items a thread holds but has not started as queued', async () => {
    await withEchoPool({ threads: 1, batchSize: 1, depth: 3 }, async (pool) => {
      const controller = new AbortController();
      const hung = pool.run(['!hang'], controller.signal).catch(() => undefined);
      const held = pool.run(['a', 'b'], controller.signal).catch(() => undefined);
      expect(pool.stats().queuedItems).toBe(2);
      controller.abort();
      await Promise.all([hung, held]);
      expect(pool.stats().queuedItems).toBe(0);
    });
  });

  it('splits a batch by cost and by count', async () => {
    const batches: PoolBatch[] = [];
    await withEchoPool({ threads: 1, batchSize: 3, batches }, async (pool) => {
      await pool.run(['aaaaa', 'bbbbb', 'ccccc', 'd', 'e', 'f', 'g']);
      // 5 + 5 fit in 12, 15 does not; then 5 + 1 + 1 stop at three items; then 1.
      expect(batches.map((batch) => batch.items)).toEqual([2, 3, 2]);
    });
  });

  it('fails only the calls in a dying thread’s running batch; those queued behind it run on its successor', async () => {
    await withEchoPool({ threads: 1, batchSize: 1, depth: 3 }, async (pool) => {
      await pool.run(['started']);
      const dying = pool.run(['!die']).catch((error: unknown) => error);
      const queued = pool.run(['a']);
      const later = pool.run(['b', 'c']);
      expect(await dying).toMatchObject({ code: 'PROVIDER_FAILED', retryable: true });
      await expect(queued).resolves.toEqual(['A']);
      await expect(later).resolves.toEqual(['B', 'C']);
      expect(pool.stats()).toEqual({ threads: 1, queuedItems: 0 });
    });
  });

  it('fails only the calls in a dying thread’s batch, retryably, and starts a new thread', async () => {
    await withEchoPool({ threads: 1, batchSize: 1 }, async (pool) => {
      await pool.run(['started']);
      const dying = pool.run(['!die']).catch((error: unknown) => error);
      const after = pool.run(['still', 'here']);
      expect(await dying).toMatchObject({ code: 'PROVIDER_FAILED', retryable: true });
      await expect(after).resolves.toEqual(['STILL', 'HERE']);
      expect(pool.stats().threads).toBe(1);
    });
  });

  it('reports a worker’s error as a permanent failure of that call alone', async () => {
    await withEchoPool({ threads: 1, batchSize: 1 }, async (pool) => {
      const failing = pool.run(['!throw']).catch((error: unknown) => error);
      const other = pool.run(['fine']);
      expect(await failing).toMatchObject({
        code: 'PROVIDER_FAILED',
        retryable: false,
        message: expect.stringContaining('asked to throw') as string,
      });
      await expect(other).resolves.toEqual(['FINE']);
    });
  });

  it('drops an aborted call, queued or running, and answers the others', async () => {
    await withEchoPool({ threads: 1, batchSize: 1 }, async (pool) => {
      const controller = new AbortController();
      const aborted = pool.run(['!slow', 'a', 'b', 'c'], controller.signal);
      const other = pool.run(['x']);
      controller.abort();
      await expect(aborted).rejects.toMatchObject({ name: 'AbortError' });
      await expect(other).resolves.toEqual(['X']);
      expect(pool.stats().queuedItems).toBe(0);
    });
  });

  it('frees a thread whose running batch every caller abandoned; its queued batches run elsewhere', async () => {
    await withEchoPool({ threads: 1, batchSize: 1, depth: 3 }, async (pool) => {
      await pool.run(['started']);
      const controller = new AbortController();
      const hung = pool.run(['!hang'], controller.signal);
      const queued = pool.run(['queued']);
      const abandoned = pool.run(['gone'], controller.signal);
      controller.abort();
      await expect(hung).rejects.toMatchObject({ name: 'AbortError' });
      await expect(abandoned).rejects.toMatchObject({ name: 'AbortError' });
      await expect(queued).resolves.toEqual(['QUEUED']);
      expect(pool.stats()).toEqual({ threads: 1, queuedItems: 0 });
    });
  });

  it('frees a thread whose batch every caller abandoned, even one that never answers', async () => {
    await withEchoPool({ threads: 1, batchSize: 1 }, async (pool) => {
      const controller = new AbortController();
      const hung = pool.run(['!hang'], controller.signal);
      const next = pool.run(['next']);
      controller.abort();
      await expect(hung).rejects.toMatchObject({ name: 'AbortError' });
      await expect(next).resolves.toEqual(['NEXT']);
    });
  });

  it('gives every waiting call a turn: a small call behind several large ones rides early', async () => {
    const batches: PoolBatch[] = [];
    await withEchoPool({ threads: 1, batchSize: 2, batches }, async (pool) => {
      const finished: string[] = [];
      const calls = ['a', 'b', 'c'].map((name) =>
        pool.run(Array.from({ length: 4 }, () => name)).then(() => finished.push(name)),
      );
      const small = pool.run(['d']).then(() => finished.push('d'));
      await Promise.all([...calls, small]);
      // Batches of two taken in turn: (a a) (b c) (d a) (b c) (a b) (c b) (c); the small call is
      // done with the third batch, not after every large call that came before it.
      expect(finished).toEqual(['d', 'a', 'b', 'c']);
    });
  });

  it('fails calls permanently when a thread dies before it ever answers (a broken install)', async () => {
    await withEchoPool(
      { threads: 1, batchSize: 1, worker: './fixtures/broken-pool-worker', depth: 3 },
      async (pool) => {
        // Three batches held by a thread that never starts: each fails, none is handed on.
        const errors = await Promise.all(
          ['a', 'b', 'c'].map((item) => pool.run([item]).catch((caught: unknown) => caught)),
        );
        for (const error of errors)
          expect(error).toMatchObject({
            code: 'PROVIDER_FAILED',
            retryable: false,
            message: expect.stringContaining('cannot start') as string,
          });
        expect(pool.stats().queuedItems).toBe(0);
      },
    );
  });

  it('fails waiting calls, saying why, when no thread can be created', async () => {
    // No worker URL can be made relative to a data: URL: creating the thread throws at once.
    const pool = createThreadPool<string, string>({
      name: 'nowhere',
      worker: './no-such-worker',
      callerUrl: 'data:text/javascript,0',
      threads: 1,
      batchSize: 1,
      logger: createSilentLogger(),
    });
    try {
      const controller = new AbortController();
      await expect(pool.run(['a'], controller.signal)).rejects.toMatchObject({
        code: 'PROVIDER_FAILED',
        retryable: false,
        message: expect.stringContaining('could not start a thread') as string,
      });
      expect(pool.stats()).toEqual({ threads: 0, queuedItems: 0 });
      // The call was settled once: a later abort changes nothing.
      controller.abort();
    } finally {
      await pool.close();
    }
  });

  it('starts threads on first use; close() stops them and fails pending and later calls', async () => {
    const pool = echoPool({ threads: 2, batchSize: 1 });
    expect(pool.stats().threads).toBe(0);
    await pool.run(['a', 'b']);
    expect(pool.stats().threads).toBe(2);
    const pending = pool.run(['!slow', '!slow', '!slow']).catch((error: unknown) => error);
    await pool.close();
    expect(await pending).toMatchObject({ code: 'UNAVAILABLE' });
    expect(pool.stats()).toEqual({ threads: 0, queuedItems: 0 });
    await expect(pool.run(['late'])).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});
