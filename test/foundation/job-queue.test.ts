// The JobQueue contract on every adapter: SQLite, PostgreSQL and Redis.
import { beforeAll, describe, expect, it } from 'vitest';
import { openPostgres } from '../../src/adapters/postgres/database.js';
import { createPostgresJobQueue } from '../../src/adapters/postgres/job-queue.js';
import { createSqliteJobQueue } from '../../src/adapters/sqlite/job-queue.js';
import { closeRedis, openRedis } from '../../src/adapters/redis/connection.js';
import { createRedisJobQueue } from '../../src/adapters/redis/job-queue.js';
import {
  dropRedisPrefix,
  dropSchema,
  POSTGRES_URL,
  postgresAvailable,
  REDIS_URL,
  redisAvailable,
  uniqueName,
} from '../support/backends.js';
import { describeJobQueue } from '../contracts/job-queue.js';
import {
  distinctStatements,
  openRecordedSqlite,
  unboundedReads,
  type StatementPlan,
} from '../support/sqlite-plans.js';

/** Every statement the SQLite queue ran, for its plan. */
const plans: StatementPlan[] = [];
describeJobQueue('sqlite', async (clock, options) => {
  const database = openRecordedSqlite();
  return {
    queue: createSqliteJobQueue(database.db, clock, options),
    close: async () => {
      plans.push(...database.close());
    },
  };
});

describe('job queue query plans (sqlite)', () => {
  // The queue outlives every job: a sweep that read all of a queue's jobs, or all of one state,
  // to find the few that are due would cost more each minute as jobs accumulate (the pruner read
  // every finished job still inside the retention: 10 ms a pass at 100,000).
  it('find jobs through an index that bounds each condition, never by a scan', () => {
    expect(distinctStatements(plans)).toBeGreaterThan(5);
    const unbounded = unboundedReads(plans, /^jobs$/);
    expect(unbounded).toEqual([]);
  });
});

let pgUp = false;
let redisUp = false;
beforeAll(async () => {
  pgUp = await postgresAvailable();
  redisUp = await redisAvailable();
});

describeJobQueue(
  'postgres',
  async (clock, options) => {
    const schema = uniqueName('jobs');
    const database = await openPostgres({ url: POSTGRES_URL, schema });
    return {
      queue: createPostgresJobQueue(database.pool, clock, options),
      close: async () => {
        await database.close();
        await dropSchema(schema);
      },
    };
  },
  () => pgUp,
);

describeJobQueue(
  'redis',
  async (clock, options) => {
    const prefix = `${uniqueName('engram_test_jobs')}:`;
    const redis = openRedis({ url: REDIS_URL, keyPrefix: prefix, commandTimeoutMs: 5000 });
    return {
      queue: createRedisJobQueue(redis, clock, options),
      close: async () => {
        await closeRedis(redis);
        await dropRedisPrefix(prefix);
      },
    };
  },
  () => redisUp,
);
