// The rate limit with Redis: one count across API nodes while Redis answers; while it is frozen
// (a proxy that forwards nothing), each node counts in process, so no request waits out the
// shared connection's timeout and the limit still holds; when Redis answers again the count is
// shared again.
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { dropRedisPrefix, redisAvailable, REDIS_URL, uniqueName } from '../support/backends.js';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { hostAndPort, startStallProxy, type StallProxy } from '../support/stall-proxy.js';
import { until } from '../telemetry/backends.js';

const hasRedis = await redisAvailable();

/** The shared connection would hold a request this long on a frozen Redis. */
const SHARED_TIMEOUT_MS = 30_000;
/**
 * What the limiter waits for Redis: long enough that a starved runner's first request finds its
 * connection made (a request that does not is counted in process, and the counts below differ).
 */
const LIMITER_TIMEOUT_MS = 2_000;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function node(redisUrl: string, prefix: string, perMinute: number): Promise<TestApp> {
  const fixture = await createTestApp({
    env: {
      ENGRAM_REDIS_URL: redisUrl,
      ENGRAM_REDIS_KEY_PREFIX: prefix,
      ENGRAM_REDIS_COMMAND_TIMEOUT_MS: String(SHARED_TIMEOUT_MS),
      ENGRAM_RATE_LIMIT_PER_MINUTE: String(perMinute),
      ENGRAM_RATE_LIMIT_REDIS_TIMEOUT_MS: String(LIMITER_TIMEOUT_MS),
    },
  });
  cleanups.push(() => fixture.dispose());
  return fixture;
}

async function proxied(): Promise<StallProxy> {
  const proxy = await startStallProxy(hostAndPort(REDIS_URL));
  cleanups.push(async () => {
    proxy.resume();
    await proxy.close();
  });
  return proxy;
}

function prefixed(): string {
  const prefix = `${uniqueName('ratelimit')}:`;
  cleanups.push(() => dropRedisPrefix(prefix));
  return prefix;
}

async function statuses(fixture: TestApp, count: number): Promise<number[]> {
  const codes: number[] = [];
  for (let i = 0; i < count; i += 1) {
    codes.push((await fixture.app.inject({ url: '/v1/sessions' })).statusCode);
  }
  return codes;
}

/** The shared count of the keyless tenant, read straight from Redis. */
async function sharedCount(prefix: string): Promise<number> {
  const redis = new Redis(REDIS_URL, { keyPrefix: prefix, lazyConnect: true });
  try {
    return Number((await redis.get('ratelimit:tenant:default')) ?? 0);
  } finally {
    redis.disconnect();
  }
}

describe.skipIf(!hasRedis)('the rate limit with Redis', () => {
  it('is one count across API nodes', async () => {
    const prefix = prefixed();
    const first = await node(REDIS_URL, prefix, 4);
    const second = await node(REDIS_URL, prefix, 4);
    expect(await statuses(first, 2)).toEqual([200, 200]);
    expect(await statuses(second, 3)).toEqual([200, 200, 429]);
    expect(await statuses(first, 1)).toEqual([429]);
    expect(await sharedCount(prefix)).toBe(6);
  });

  it('holds per node while Redis is frozen, without waiting for it, and is shared again after', async () => {
    const prefix = prefixed();
    const proxy = await proxied();
    const fixture = await node(`redis://127.0.0.1:${proxy.port}`, prefix, 3);
    // Cleanups run last first: the proxy forwards again before the node closes its connections.
    cleanups.push(async () => proxy.resume());
    expect(await statuses(fixture, 1)).toEqual([200]);
    expect(await sharedCount(prefix)).toBe(1);

    proxy.stall();
    const started = Date.now();
    // Counted in process from nothing: three pass, then the limit.
    expect(await statuses(fixture, 5)).toEqual([200, 200, 200, 429, 429]);
    // Three waited the limiter's timeout, then the breaker opened: none waited for the shared
    // connection's. (Before the limiter had a connection of its own, each waited the shared
    // timeout, then passed unlimited.)
    expect(Date.now() - started).toBeLessThan(5 * LIMITER_TIMEOUT_MS);
    expect(await sharedCount(prefix)).toBe(1);

    proxy.resume();
    // The three calls that timed out were held by the proxy and now reach Redis; the two after
    // them met the open breaker and never left the node.
    expect(
      await until(
        () => sharedCount(prefix),
        (count) => count === 4,
      ),
    ).toBe(4);
    // Once the breaker tries Redis again, each request is counted there.
    const shared = await until(
      async () => {
        await fixture.app.inject({ url: '/v1/sessions' });
        return sharedCount(prefix);
      },
      (count) => count > 4,
    );
    expect(shared).toBe(5);
  });
});
