// The Redis token cache on the local server: packed values, per-namespace TTL refreshed on read,
// the app-side byte budget with LRU eviction, and an outage (the server vanishes behind a proxy,
// then comes back) during which every context request still succeeds.
import { once } from 'node:events';
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  dropRedisPrefix,
  REDIS_URL,
  redisAvailable,
  uniqueName,
} from '../../../test/support/backends.js';
import { createContextService } from '../../context/context-service.js';
import { createTestTokenizerRegistry } from '../../../test/support/test-tokenizers.js';
import { createTokenIdSource } from '../../context/token-id-source.js';
import { systemClock } from '../../domain/clock.js';
import { createSilentLogger } from '../../domain/logger.js';
import { closeRedis, openRedis } from './connection.js';
import { createRedisTokenCache } from './token-cache.js';

const available = await redisAvailable();
const logger = createSilentLogger();
const tokenizers = createTestTokenizerRegistry();

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function open(url = REDIS_URL) {
  const prefix = `${uniqueName('engram_test_tc')}:`;
  const redis = openRedis({ url, keyPrefix: prefix, commandTimeoutMs: 300, failFast: true });
  cleanups.push(async () => {
    await closeRedis(redis);
    await dropRedisPrefix(prefix);
  });
  // Fail-fast connections refuse commands until connected.
  if (redis.status !== 'ready') await once(redis, 'ready');
  return { redis, prefix };
}

function makeCache(redis: ReturnType<typeof openRedis>, options: { maxBytes?: number } = {}) {
  return createRedisTokenCache({
    redis,
    maxBytes: options.maxBytes ?? 1024 * 1024,
    defaultTtlSeconds: 3600,
    namespaceTtlSeconds: new Map([['short', 1]]),
    callTimeoutMs: 500,
    breakerThreshold: 3,
    breakerHalfOpenAfterMs: 300,
    clock: systemClock,
    logger,
  });
}

async function eventually(
  check: () => Promise<boolean>,
  what: string,
  limitMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A TCP proxy to the real Redis that can be stopped (nothing listens) and started again. */
async function redisProxy() {
  const target = new URL(REDIS_URL);
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const start = async () => {
    server = createServer((client) => {
      const upstream = connect(Number(target.port || 6379), target.hostname);
      sockets.add(client).add(upstream);
      client.pipe(upstream).pipe(client);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
    });
    await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  };
  const stop = async () => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    await new Promise<void>((resolve) =>
      server === undefined ? resolve() : server.close(() => resolve()),
    );
    server = undefined;
  };
  await start();
  cleanups.push(stop);
  return { url: () => `redis://127.0.0.1:${port}`, start, stop };
}

describe.skipIf(!available)('Redis token cache', () => {
  it('stores token IDs as packed binary and answers misses as undefined', async () => {
    const { redis } = await open();
    const cache = makeCache(redis);
    const ids = [0, 1, 255, 65_536, 151_643, 4_294_967_295];
    await cache.setMany([{ key: 'o200k_base:v:abc', ids }], { namespace: 'default' });
    expect(
      await cache.getMany(['o200k_base:v:abc', 'o200k_base:v:nope'], { namespace: 'default' }),
    ).toEqual([ids, undefined]);
    expect(await redis.strlen('tc:v:o200k_base:v:abc')).toBe(ids.length * 4);
  });

  it('expires entries after their namespace TTL and refreshes the TTL on read', async () => {
    const { redis } = await open();
    const cache = makeCache(redis);
    await cache.setMany([{ key: 'long', ids: [1, 2, 3] }], { namespace: 'default' });
    expect(await redis.pttl('tc:v:long')).toBeGreaterThan(3_000_000);
    // A read from a namespace with a 1 s TTL refreshes the entry to that TTL…
    expect(await cache.getMany(['long'], { namespace: 'short' })).toEqual([[1, 2, 3]]);
    expect(await redis.pttl('tc:v:long')).toBeLessThanOrEqual(1000);
    // …and a read from the default namespace back to an hour.
    await cache.getMany(['long'], { namespace: 'default' });
    expect(await redis.pttl('tc:v:long')).toBeGreaterThan(3_000_000);

    await cache.setMany([{ key: 'brief', ids: [7] }], { namespace: 'short' });
    // Watch without reading through the cache: a read would refresh the TTL.
    await eventually(async () => (await redis.exists('tc:v:brief')) === 0, 'TTL expiry');
    expect(await cache.getMany(['brief'], { namespace: 'short' })).toEqual([undefined]);
  });

  it('keeps the accounted bytes within the budget, evicting the least recently used', async () => {
    const { redis } = await open();
    const maxBytes = 20_000;
    const cache = makeCache(redis, { maxBytes });
    const ids = Array.from({ length: 200 }, (_, index) => index);
    for (let batch = 0; batch < 10; batch += 1) {
      if (batch > 0) await cache.getMany(['entry-0'], { namespace: 'default' }); // keep entry-0 recent
      const entries = Array.from({ length: 10 }, (_, index) => ({
        key: `entry-${batch * 10 + index}`,
        ids,
      }));
      await cache.setMany(entries, { namespace: 'default' });
      const accounted = Number(await redis.get('tc:bytes'));
      expect(accounted).toBeLessThanOrEqual(maxBytes);
    }
    const stats = await cache.stats();
    expect(stats.bytes).toBeLessThanOrEqual(maxBytes);
    expect(stats.evictions).toBeGreaterThan(0);
    const keys = Array.from({ length: 100 }, (_, index) => `entry-${index}`);
    const found = await cache.getMany(keys, { namespace: 'default' });
    const present = keys.filter((_, index) => found[index] !== undefined);
    expect(present.length * 800).toBeLessThanOrEqual(maxBytes);
    expect(present).toContain('entry-0');
    expect(present).toContain('entry-99');
    expect(present).not.toContain('entry-1');
    expect(stats.evictions).toBe(100 - present.length);
  });

  it('shares one tokenization among 100 concurrent identical requests', async () => {
    const { redis } = await open();
    const tokenIds = createTokenIdSource({ cache: makeCache(redis), clock: systemClock, logger });
    const text = 'A memory every one of the hundred requests recalls.';
    const service = createContextService({
      recall: async () => [{ id: 'm1', text, score: 1 }],
      tokenizers,
      tokenIds,
      clock: systemClock,
      logger,
    });
    const results = await Promise.all(
      Array.from({ length: 100 }, () =>
        service.build({ tenantId: 't', query: 'q', tokenizer: 'llama3', maxTokens: 100 }),
      ),
    );
    await tokenIds.flush();
    expect((await tokenIds.stats()).tokenizations).toBe(2); // its unit and its last-item form
    for (const result of results)
      expect(result.tokenIds).toEqual(tokenizers.get('llama3').encode(text));
  });

  it('serves every request through an outage: the breaker opens, then closes when Redis is back', async () => {
    const proxy = await redisProxy();
    const { redis } = await open(proxy.url());
    await redis.ping();
    const cache = makeCache(redis);
    const tokenIds = createTokenIdSource({ cache, clock: systemClock, logger });
    const memories = Array.from({ length: 20 }, (_, index) => ({
      id: `m${index}`,
      text: `Memory ${index}: the engine ran for ${index} hours.`,
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
        query: 'engine',
        tokenizer: 'o200k_base',
        maxTokens: 300,
      });
      expect(built.tokenIds).toEqual(tokenizer.encode(built.text));
      expect(built.items.length).toBe(20);
      return built;
    };

    await request();
    await tokenIds.flush();
    expect((await request()).cache.misses).toBe(0);

    await proxy.stop(); // nothing listens on the cache's port now
    for (let index = 0; index < 10; index += 1) await request();
    expect(cache.breakerState()).toBe('open');
    expect((await request()).cache.hits).toBe(0);

    await proxy.start(); // the real server again, same port
    await eventually(async () => {
      await request();
      await tokenIds.flush();
      return cache.breakerState() === 'closed' && (await request()).cache.misses === 0;
    }, 'the breaker to close and the cache to serve hits again');
    expect((await cache.stats()).errors).toBeGreaterThan(0);
  });
});
