// /ready sees the workers of the whole deployment: an API node (no background loops of its own)
// shares Redis with a worker node, and its /ready is red until a worker beats, green while one
// does, and red again when the worker's beats go stale (a dead worker) or it stops.
import { afterEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/domain/clock.js';
import { dropRedisPrefix, REDIS_URL, redisAvailable, uniqueName } from '../support/backends.js';
import {
  createTestApp,
  createTestRuntime,
  type TestApp,
  type TestRuntime,
} from '../support/runtime.js';
import { until } from '../telemetry/backends.js';

const redisUp = await redisAvailable();
const STALE_MS = 5_000;

interface ReadyBody {
  status: string;
  checks: Array<{ name: string; ok: boolean; error?: string }>;
}

describe('/ready and worker heartbeats in Redis', () => {
  const opened: Array<TestApp | TestRuntime> = [];
  const prefix = `${uniqueName('engram_test_live')}:`;

  afterEach(async () => {
    for (const test of opened.splice(0).reverse()) await test.dispose();
    await dropRedisPrefix(prefix);
  });

  it('is red with no worker, green while one beats, red when its beats go stale', async (ctx) => {
    if (!redisUp) return ctx.skip('Redis is not reachable');
    const env = {
      ENGRAM_REDIS_URL: REDIS_URL,
      ENGRAM_REDIS_KEY_PREFIX: prefix,
      ENGRAM_HEARTBEAT_STALE_MS: String(STALE_MS),
    };
    const apiClock = createManualClock(Date.now());
    const api = await createTestApp({ env, clock: apiClock });
    opened.push(api);
    const ready = async () => {
      const response = await api.app.inject({ method: 'GET', url: '/ready' });
      return { status: response.statusCode, body: response.json<ReadyBody>() };
    };
    const workersCheck = (body: ReadyBody) => body.checks.find((check) => check.name === 'workers');

    const before = await ready();
    expect(before.status).toBe(503);
    expect(workersCheck(before.body)).toMatchObject({ ok: false });
    expect(workersCheck(before.body)?.error).toMatch(/no worker has beaten within 5 s/);

    const workerClock = createManualClock(apiClock.now());
    const worker = await createTestRuntime({ env, clock: workerClock });
    opened.push(worker);
    worker.runtime.startBackground();
    const alive = await until(ready, (result) => result.status === 200, 15_000);
    expect(alive.status, JSON.stringify(alive.body)).toBe(200);
    expect(workersCheck(alive.body)).toMatchObject({ ok: true });

    // The worker's clock stands still: its beats stop being news, as a dead worker's would.
    apiClock.advance(STALE_MS + 1_000);
    const dead = await ready();
    expect(dead.status).toBe(503);
    expect(workersCheck(dead.body)?.error).toMatch(/no worker has beaten/);

    // A worker that stops gracefully withdraws its beats: still no worker.
    apiClock.set(workerClock.now());
    expect((await ready()).status).toBe(200);
    await worker.dispose();
    opened.splice(opened.indexOf(worker), 1);
    expect((await ready()).status).toBe(503);
  });
});
