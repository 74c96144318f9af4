// The runtime on the distributed backends: PostgreSQL store and Redis, and what /ready says
// when Redis is gone.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  dropRedisPrefix,
  postgresAvailable,
  REDIS_URL,
  redisAvailable,
  uniqueName,
} from '../support/backends.js';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { until } from '../telemetry/backends.js';

let pgUp = false;
let redisUp = false;
beforeAll(async () => {
  pgUp = await postgresAvailable();
  redisUp = await redisAvailable();
});

let fixture: TestApp | undefined;
afterEach(async () => {
  await fixture?.dispose();
  fixture = undefined;
});

describe('runtime on PostgreSQL and Redis', () => {
  it('migrates a fresh schema and reports ready', async (context) => {
    if (!pgUp || !redisUp) context.skip();
    fixture = await createTestApp({
      backend: 'postgres',
      env: { ENGRAM_REDIS_URL: REDIS_URL, ENGRAM_REDIS_KEY_PREFIX: `${uniqueName('test')}:` },
    });
    const { app } = fixture;
    // Distributed, /ready also needs a worker's heartbeat in Redis: this node runs the workers.
    fixture.runtime.startBackground();
    const ready = await until(
      () => app.inject({ method: 'GET', url: '/ready' }),
      (response) => response.statusCode === 200,
      15_000,
    );
    expect(ready.statusCode, ready.body).toBe(200);
    expect(ready.json().checks.map((c: { name: string }) => c.name)).toEqual(
      expect.arrayContaining(['postgres', 'redis', 'background-jobs', 'workers']),
    );
  });

  it('runs ingestion jobs through the Redis job queue to completion', async (context) => {
    if (!pgUp || !redisUp) context.skip();
    const prefix = `${uniqueName('test')}:`;
    fixture = await createTestApp({
      backend: 'postgres',
      env: {
        ENGRAM_REDIS_URL: REDIS_URL,
        ENGRAM_REDIS_KEY_PREFIX: prefix,
        ENGRAM_WORKER_POLL_MS: '20',
      },
    });
    const { app } = fixture;
    fixture.runtime.startBackground();
    const submitted = await app.inject({
      method: 'POST',
      url: '/v1/documents',
      payload: {
        content: '# Redis\n\nAda Lovelace worked with Charles Babbage in London.',
        mimeType: 'text/markdown',
      },
    });
    expect(submitted.statusCode).toBe(202);
    const id = submitted.json().id as string;
    let status = '';
    for (let i = 0; i < 600 && status !== 'completed' && status !== 'failed'; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await app.inject({ method: 'GET', url: `/v1/documents/${id}` })).json()
        .status as string;
    }
    expect(status).toBe('completed');
    await dropRedisPrefix(prefix);
  });

  it('reports 503 naming Redis when Redis does not answer', async (context) => {
    if (!pgUp) context.skip();
    fixture = await createTestApp({
      backend: 'postgres',
      env: {
        ENGRAM_REDIS_URL: 'redis://127.0.0.1:1',
        ENGRAM_REDIS_COMMAND_TIMEOUT_MS: '200',
        ENGRAM_RATE_LIMIT_PER_MINUTE: '0',
      },
    });
    const { app } = fixture;
    const ready = await app.inject({ method: 'GET', url: '/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json().checks).toContainEqual(
      expect.objectContaining({ name: 'redis', ok: false }),
    );
    expect(ready.json().checks).toContainEqual(
      expect.objectContaining({ name: 'postgres', ok: true }),
    );
  });
});
