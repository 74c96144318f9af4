// The tiered token cache on the local Redis: warm keys are answered from process memory without
// Redis, the in-process tier keeps to its byte budget, a key goes back to Redis after the local
// lifetime, and with Redis gone requests are served from process memory or tokenized locally.
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  dropRedisPrefix,
  REDIS_URL,
  redisAvailable,
  uniqueName,
} from '../../test/support/backends.js';
import { createTestTokenizerRegistry } from '../../test/support/test-tokenizers.js';
import { loadConfig } from '../config/load-config.js';
import { createContextService } from '../context/context-service.js';
import { createTokenIdSource } from '../context/token-id-source.js';
import { systemClock } from '../domain/clock.js';
import { createSilentLogger } from '../domain/logger.js';
import { openTokenCache } from './open-token-cache.js';
import { closeRedis, openRedis } from './redis/connection.js';
import { createRedisTokenCache } from './redis/token-cache.js';
import { createTieredTokenCache } from './tiered-token-cache.js';

const available = await redisAvailable();
const logger = createSilentLogger();
const tokenizers = createTestTokenizerRegistry();
const ttls = { defaultTtlSeconds: 3600, namespaceTtlSeconds: new Map([['short', 1]]) };
const ns = { namespace: 'default' };

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function open(url = REDIS_URL) {
  const prefix = `${uniqueName('engram_test_tiered')}:`;
  const redis = openRedis({ url, keyPrefix: prefix, commandTimeoutMs: 300, failFast: true });
  cleanups.push(async () => {
    await closeRedis(redis);
    await dropRedisPrefix(prefix);
  });
  return { redis, prefix };
}

function makeCaches(
  redis: ReturnType<typeof openRedis>,
  options: { localMaxBytes?: number; localTtlSeconds?: number } = {},
) {
  const shared = createRedisTokenCache({
    ...ttls,
    redis,
    maxBytes: 1024 * 1024,
    callTimeoutMs: 500,
    breakerThreshold: 3,
    breakerHalfOpenAfterMs: 60_000,
    clock: systemClock,
    logger,
  });
  const tiered = createTieredTokenCache({
    ...ttls,
    shared,
    localMaxBytes: options.localMaxBytes ?? 1024 * 1024,
    ...(options.localTtlSeconds === undefined ? {} : { localTtlSeconds: options.localTtlSeconds }),
  });
  cleanups.push(() => tiered.close());
  return { shared, tiered };
}

async function eventually(check: () => Promise<boolean>, what: string, limitMs = 15_000) {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A local port where nothing listens: a Redis that is down. */
async function deadPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe.skipIf(!available)('tiered token cache (in process in front of Redis)', () => {
  it('answers a warm key from process memory without Redis, and promotes Redis hits', async () => {
    const { redis } = await open();
    const { tiered, shared } = makeCaches(redis);
    await tiered.setMany([{ key: 'warm', ids: [1, 2, 3] }], ns);
    expect(await shared.getMany(['warm'], ns)).toEqual([[1, 2, 3]]); // written through to Redis
    await redis.del('tc:v:warm'); // gone from Redis: only process memory can answer now
    expect(await tiered.getMany(['warm'], ns)).toEqual([[1, 2, 3]]);

    // Written by another process: only Redis has it; the first read copies it into memory.
    await shared.setMany([{ key: 'elsewhere', ids: [7, 8] }], ns);
    expect(await tiered.getMany(['elsewhere', 'nowhere'], ns)).toEqual([[7, 8], undefined]);
    await redis.del('tc:v:elsewhere');
    expect(await tiered.getMany(['elsewhere'], ns)).toEqual([[7, 8]]);

    const stats = await tiered.stats();
    expect(stats.backend).toBe('redis');
    expect(stats.tiers).toMatchObject({ localHits: 2, redisHits: 1 });
    expect(stats.tiers?.local.entries).toBe(2);
  });

  it('keeps the in-process tier within its byte budget; evicted keys come from Redis', async () => {
    const { redis } = await open();
    const localMaxBytes = 5_000;
    const { tiered } = makeCaches(redis, { localMaxBytes });
    const ids = Array.from({ length: 200 }, (_, index) => index);
    const keys = Array.from({ length: 20 }, (_, index) => `entry-${index}`);
    for (const key of keys) {
      await tiered.setMany([{ key, ids }], ns);
      expect((await tiered.stats()).tiers!.local.bytes).toBeLessThanOrEqual(localMaxBytes);
    }
    const before = (await tiered.stats()).tiers!;
    expect(before.local.evictions).toBeGreaterThan(0);
    expect(await tiered.getMany(keys, ns)).toEqual(keys.map(() => ids));
    const after = (await tiered.stats()).tiers!;
    expect(after.redisHits).toBeGreaterThan(0);
    expect(after.localHits + after.redisHits).toBe(keys.length);
    expect(after.local.bytes).toBeLessThanOrEqual(localMaxBytes);
  });

  it('reads a hot key from Redis again after the local lifetime, refreshing it there', async () => {
    const { redis } = await open();
    const { tiered } = makeCaches(redis, { localTtlSeconds: 1 });
    await tiered.setMany([{ key: 'hot', ids: [5] }], ns);
    await redis.pexpire('tc:v:hot', 60_000); // as if an hour had nearly passed in Redis
    await eventually(async () => {
      expect(await tiered.getMany(['hot'], ns)).toEqual([[5]]);
      return (await tiered.stats()).tiers!.redisHits === 1;
    }, 'the local entry to expire');
    expect(await redis.pttl('tc:v:hot')).toBeGreaterThan(3_000_000); // namespace TTL again
  });

  it('expires a short-TTL namespace in both tiers', async () => {
    const { redis } = await open();
    const { tiered } = makeCaches(redis);
    await tiered.setMany([{ key: 'brief', ids: [9] }], { namespace: 'short' });
    expect(await tiered.getMany(['brief'], { namespace: 'short' })).toEqual([[9]]);
    await eventually(
      async () => (await tiered.getMany(['brief'], { namespace: 'short' }))[0] === undefined,
      'TTL expiry',
    );
  });

  it('serves requests with Redis down: from process memory, else by local tokenization', async () => {
    const { redis } = await open(`redis://127.0.0.1:${await deadPort()}`);
    const { tiered } = makeCaches(redis);
    const tokenIds = createTokenIdSource({ cache: tiered, clock: systemClock, logger });
    let memories = Array.from({ length: 10 }, (_, index) => ({
      id: `m${index}`,
      text: `Memory ${index}: the pump ran for ${index} hours 🚰.`,
      score: 1,
    }));
    const service = createContextService({
      recall: async () => memories,
      tokenizers,
      tokenIds,
      clock: systemClock,
      logger,
    });
    const tokenizer = tokenizers.get('o200k_base');
    const request = async () => {
      const built = await service.build({
        tenantId: 't',
        query: 'pump',
        tokenizer: 'o200k_base',
        maxTokens: 500,
      });
      expect(built.tokenIds).toEqual(tokenizer.encode(built.text));
      expect(built.items.length).toBe(memories.length);
      return built;
    };

    expect((await request()).cache.hits).toBe(0); // tokenized locally, written to memory only
    await tokenIds.flush();
    for (let index = 0; index < 5; index += 1) expect((await request()).cache.misses).toBe(0);

    memories = [...memories, { id: 'new', text: 'A memory nobody has cached yet.', score: 1 }];
    const mixed = await request();
    expect(mixed.cache.misses).toBeGreaterThan(0);
    expect(mixed.cache.hits).toBeGreaterThan(0);
    await tokenIds.flush();

    const stats = await tokenIds.stats();
    expect(stats.breaker).toBe('open');
    expect(stats.errors).toBeGreaterThan(0);
    expect(stats.tiers!.localHits).toBeGreaterThan(0);
    expect(stats.tiers!.redisHits).toBe(0);
  });

  it('is what openTokenCache picks with Redis, unless ENGRAM_TOKEN_CACHE_LOCAL_MAX_BYTES=0', async () => {
    const prefix = `${uniqueName('engram_test_tiered')}:`;
    cleanups.push(() => dropRedisPrefix(prefix));
    const env = { ENGRAM_REDIS_URL: REDIS_URL, ENGRAM_REDIS_KEY_PREFIX: prefix };
    const tiered = openTokenCache(loadConfig({ env }), { clock: systemClock, logger });
    cleanups.push(() => tiered.close());
    await tiered.setMany([{ key: 'k', ids: [1] }], ns);
    expect(await tiered.getMany(['k'], ns)).toEqual([[1]]);
    expect((await tiered.stats()).tiers).toMatchObject({
      localHits: 1,
      local: { maxBytes: 8 * 1024 * 1024 },
    });

    const plain = openTokenCache(
      loadConfig({ env: { ...env, ENGRAM_TOKEN_CACHE_LOCAL_MAX_BYTES: '0' } }),
      { clock: systemClock, logger },
    );
    cleanups.push(() => plain.close());
    expect(await plain.getMany(['k'], ns)).toEqual([[1]]);
    const stats = await plain.stats();
    expect(stats.backend).toBe('redis');
    expect(stats.tiers).toBeUndefined();
  });
});
