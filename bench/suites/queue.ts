// Job queue throughput: enqueue, then claim + complete in batches, on SQLite and PostgreSQL.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPostgres } from '../../src/adapters/postgres/database.js';
import { createPostgresJobQueue } from '../../src/adapters/postgres/job-queue.js';
import { openSqlite } from '../../src/adapters/sqlite/database.js';
import { createSqliteJobQueue } from '../../src/adapters/sqlite/job-queue.js';
import { systemClock } from '../../src/domain/clock.js';
import type { JobQueue } from '../../src/ports/job-queue.js';
import { POSTGRES_URL, dropSchema } from '../../test/support/backends.js';
import type { BenchSuite, Measurement } from '../harness.js';
const options = { backoffBaseMs: 1000, backoffMaxMs: 60_000, defaultMaxAttempts: 5 };

async function measure(
  label: string,
  queue: JobQueue,
  jobs: number,
  rounds: number,
): Promise<Measurement[]> {
  const enqueueRates: number[] = [];
  const drainRates: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    const name = `bench-${round}`;
    let start = performance.now();
    for (let i = 0; i < jobs; i += 1)
      await queue.enqueue({ tenantId: 'bench', queue: name, payload: { i } });
    enqueueRates.push(jobs / ((performance.now() - start) / 1000));
    start = performance.now();
    let done = 0;
    while (done < jobs) {
      const claimed = await queue.claim({
        queue: name,
        workerId: 'bench',
        limit: 50,
        leaseMs: 60_000,
      });
      await Promise.all(claimed.map((job) => queue.complete(job)));
      done += claimed.length;
    }
    drainRates.push(jobs / ((performance.now() - start) / 1000));
  }
  return [
    { name: `${label}: enqueue (one at a time)`, unit: 'jobs/s', samples: enqueueRates },
    { name: `${label}: claim 50 + complete`, unit: 'jobs/s', samples: drainRates },
  ];
}

export const queueSuite: BenchSuite = {
  name: 'queue',
  description: 'job queue throughput on the embedded and the PostgreSQL store',
  async run(context) {
    const jobs = context.quick ? 500 : 3000;
    const rounds = context.quick ? 2 : 5;
    const results: Measurement[] = [];
    const dir = mkdtempSync(join(tmpdir(), 'engram-bench-queue-'));
    const sqlite = openSqlite({ path: join(dir, 'queue.db') });
    try {
      results.push(
        ...(await measure(
          'sqlite',
          createSqliteJobQueue(sqlite.db, systemClock, options),
          jobs,
          rounds,
        )),
      );
    } finally {
      sqlite.close();
      rmSync(dir, { recursive: true, force: true });
    }
    const schema = `bench_queue_${process.pid}`;
    try {
      const postgres = await openPostgres({ url: POSTGRES_URL, schema });
      try {
        results.push(
          ...(await measure(
            'postgres',
            createPostgresJobQueue(postgres.pool, systemClock, options),
            jobs,
            rounds,
          )),
        );
      } finally {
        await postgres.close();
        await dropSchema(schema);
      }
    } catch (error) {
      context.log(`PostgreSQL skipped: ${String(error)}`);
    }
    return results;
  },
};
