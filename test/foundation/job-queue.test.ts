// The JobQueue contract on every adapter: SQLite, PostgreSQL and Redis.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { openPostgres } from '../../src/adapters/postgres/database.js';
import { createPostgresJobQueue } from '../../src/adapters/postgres/job-queue.js';
import { openSqlite } from '../../src/adapters/sqlite/database.js';
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

const dir = mkdtempSync(join(tmpdir(), 'engram-jobs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeJobQueue('sqlite', async (clock, options) => {
  const database = openSqlite({ path: join(dir, `${uniqueName('q')}.db`) });
  return {
    queue: createSqliteJobQueue(database.db, clock, options),
    close: async () => database.close(),
  };
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
