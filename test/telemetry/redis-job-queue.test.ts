// The JobQueue contract on the Redis adapter (distributed mode), one key prefix per test.
import { beforeAll } from 'vitest';
import { closeRedis, openRedis } from '../../src/adapters/redis/connection.js';
import { createRedisJobQueue } from '../../src/adapters/redis/job-queue.js';
import { describeJobQueue } from '../contracts/job-queue.js';
import { dropRedisPrefix, REDIS_URL, redisAvailable, uniqueName } from '../support/backends.js';

let redisUp = false;
beforeAll(async () => {
  redisUp = await redisAvailable();
});

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
