// Access to the real PostgreSQL and Redis servers for tests. A missing service skips its suite
// with a loud message, except under CI=true, where a missing service fails the run.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';

export const POSTGRES_URL =
  process.env.ENGRAM_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.ENGRAM_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const inCi = process.env.CI === 'true';

async function reachable(check: () => Promise<void>, name: string): Promise<boolean> {
  try {
    await check();
    return true;
  } catch (error) {
    const message = `${name} is not reachable (${String(error)}).`;
    if (inCi) throw new Error(`${message} CI=true requires it: start it (scripts/setup-*.sh).`);
    console.warn(`\n!!! SKIPPING ${name} TESTS: ${message} !!!\n`);
    return false;
  }
}

export async function postgresAvailable(): Promise<boolean> {
  return reachable(async () => {
    const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
    await client.connect();
    try {
      await client.query(`SELECT '[1]'::vector`);
    } finally {
      await client.end();
    }
  }, 'PostgreSQL (with pgvector)');
}

export async function redisAvailable(): Promise<boolean> {
  return reachable(async () => {
    const redis = new Redis(REDIS_URL, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      connectTimeout: 2000,
    });
    try {
      await redis.connect();
      await redis.ping();
    } finally {
      redis.disconnect();
    }
  }, 'Redis');
}

/** A schema name nobody else uses; drop it with dropSchema when the suite ends. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** Deletes every key under a test's prefix. */
export async function dropRedisPrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
