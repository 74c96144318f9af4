// The HTTP service's own behaviour: request ids, the error envelope, limits, auth, rate limits,
// health, readiness and metrics — through the real app on a real SQLite store.
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createManualClock } from '../../src/domain/clock.js';
import { AppError } from '../../src/domain/errors.js';
import type { EngramApp } from '../../src/http/engram-app.js';
import { createTestApp, TWO_TENANT_API_KEYS, type TestApp } from '../support/runtime.js';

let fixture: TestApp | undefined;

async function start(
  env: Record<string, string> = {},
  clock = createManualClock(),
): Promise<EngramApp> {
  fixture = await createTestApp({ env, clock });
  const { app } = fixture;
  // A route of the test's own, to exercise validation, limits and error mapping.
  app.post(
    '/v1/test/echo',
    { schema: { body: z.object({ text: z.string().max(10) }) } },
    async (request) => {
      if (request.body.text === 'boom') throw new Error('secret internals');
      if (request.body.text === 'gone') throw new AppError('DOCUMENT_NOT_FOUND', 'No document d1.');
      if (request.body.text === 'busy')
        throw new AppError('UNAVAILABLE', 'Busy; retry.', { details: { retryAfterSeconds: 7 } });
      if (request.body.text === 'down') throw new AppError('UNAVAILABLE', 'Down; retry.');
      return { text: request.body.text, tenant: request.tenantId };
    },
  );
  return app;
}

afterEach(async () => {
  await fixture?.dispose();
  fixture = undefined;
});

describe('HTTP service', () => {
  it('answers /health and echoes or makes a request id', async () => {
    const server = await start();
    const made = await server.inject({ method: 'GET', url: '/health' });
    expect(made.statusCode).toBe(200);
    expect(made.json()).toMatchObject({ status: 'ok' });
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const given = await server.inject({
      method: 'GET',
      url: '/health',
      headers: { 'x-request-id': 'req-42' },
    });
    expect(given.headers['x-request-id']).toBe('req-42');
    const unsafe = await server.inject({
      method: 'GET',
      url: '/health',
      headers: { 'x-request-id': 'a b\u0000' },
    });
    expect(unsafe.headers['x-request-id']).not.toBe('a b\u0000');
  });

  it('maps errors to one envelope and hides internals on 5xx', async () => {
    const server = await start();
    const invalid = await server.inject({
      method: 'POST',
      url: '/v1/test/echo',
      payload: { text: 'x'.repeat(11) },
    });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().error).toMatchObject({
      code: 'VALIDATION_FAILED',
      requestId: invalid.headers['x-request-id'],
    });
    expect(invalid.json().error.message).toContain('body.text');
    const notJson = await server.inject({
      method: 'POST',
      url: '/v1/test/echo',
      headers: { 'content-type': 'application/json' },
      payload: '{nope',
    });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json().error.code).toBe('VALIDATION_FAILED');
    const missing = await server.inject({
      method: 'POST',
      url: '/v1/test/echo',
      payload: { text: 'gone' },
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toMatchObject({
      code: 'DOCUMENT_NOT_FOUND',
      message: 'No document d1.',
    });
    const crash = await server.inject({
      method: 'POST',
      url: '/v1/test/echo',
      payload: { text: 'boom' },
    });
    expect(crash.statusCode).toBe(500);
    expect(crash.json().error.code).toBe('INTERNAL');
    expect(crash.body).not.toContain('secret internals');
    // Every 503 says when to come back, set once by the error handler for any route.
    const busy = await server.inject({
      method: 'POST',
      url: '/v1/test/echo',
      payload: { text: 'busy' },
    });
    expect(busy.statusCode).toBe(503);
    expect(busy.headers['retry-after']).toBe('7');
    expect(busy.json().error.details).toEqual({ retryAfterSeconds: 7 });
    const down = await server.inject({
      method: 'POST',
      url: '/v1/test/echo',
      payload: { text: 'down' },
    });
    expect(down.statusCode).toBe(503);
    expect(down.headers['retry-after']).toBe('2');
    const noRoute = await server.inject({ method: 'GET', url: '/v1/nothing-here' });
    expect(noRoute.statusCode).toBe(404);
    expect(noRoute.json().error.code).toBe('NOT_FOUND');
  });

  it('refuses a body over the limit with 413 and says so', async () => {
    const server = await start({ ENGRAM_BODY_LIMIT_BYTES: '2048' });
    const response = await server.inject({
      method: 'POST',
      url: '/v1/test/echo',
      payload: { text: 'x'.repeat(5000) },
    });
    expect(response.statusCode).toBe(413);
    expect(response.json().error.code).toBe('INPUT_TOO_LARGE');
  });

  it('requires an API key when keys are configured and scopes the request to its tenant', async () => {
    const server = await start({ ENGRAM_API_KEYS: TWO_TENANT_API_KEYS });
    const none = await server.inject({
      method: 'POST',
      url: '/v1/test/echo',
      payload: { text: 'hi' },
    });
    expect(none.statusCode).toBe(401);
    expect(none.json().error.code).toBe('UNAUTHORIZED');
    const wrong = await server.inject({
      method: 'POST',
      url: '/v1/test/echo',
      headers: { authorization: 'Bearer not-a-key-at-all-000000' },
      payload: { text: 'hi' },
    });
    expect(wrong.statusCode).toBe(401);
    const acme = await server.inject({
      method: 'POST',
      url: '/v1/test/echo',
      headers: { authorization: 'Bearer key-for-acme-0123456789' },
      payload: { text: 'hi' },
    });
    expect(acme.json()).toEqual({ text: 'hi', tenant: 'acme' });
    const umbrella = await server.inject({
      method: 'POST',
      url: '/v1/test/echo',
      headers: { 'x-api-key': 'key-for-umbrella-012345' },
      payload: { text: 'hi' },
    });
    expect(umbrella.json()).toEqual({ text: 'hi', tenant: 'umbrella' });
    // Operations endpoints stay open for probes.
    expect((await server.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
  });

  it('rate-limits per tenant with 429 and Retry-After', async () => {
    const server = await start({ ENGRAM_RATE_LIMIT_PER_MINUTE: '3' });
    const codes: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      codes.push(
        (await server.inject({ method: 'POST', url: '/v1/test/echo', payload: { text: 'hi' } }))
          .statusCode,
      );
    }
    expect(codes).toEqual([200, 200, 200, 429]);
    const limited = await server.inject({
      method: 'POST',
      url: '/v1/test/echo',
      payload: { text: 'hi' },
    });
    expect(limited.json().error.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await server.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
  });

  it('is ready while dependencies answer and heartbeats are fresh, 503 naming the stale job otherwise', async () => {
    const clock = createManualClock();
    const server = await start({}, clock);
    fixture!.runtime.heartbeats.register('worker:test', 10_000);
    const ready = await server.inject({ method: 'GET', url: '/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().checks.map((c: { name: string }) => c.name)).toContain('sqlite');
    clock.advance(10_001);
    const stale = await server.inject({ method: 'GET', url: '/ready' });
    expect(stale.statusCode).toBe(503);
    expect(stale.json().checks).toContainEqual(
      expect.objectContaining({ name: 'background-jobs', ok: false }),
    );
    expect(JSON.stringify(stale.json())).toContain('worker:test');
    fixture!.runtime.heartbeats.beat('worker:test');
    expect((await server.inject({ method: 'GET', url: '/ready' })).statusCode).toBe(200);
  });

  it('exposes Prometheus metrics with request durations by route template', async () => {
    const server = await start();
    await server.inject({ method: 'POST', url: '/v1/test/echo', payload: { text: 'hi' } });
    const metrics = await server.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.headers['content-type']).toContain('text/plain');
    expect(metrics.body).toMatch(
      /engram_http_request_duration_seconds_count\{method="POST",route="\/v1\/test\/echo",status="200"\} 1/,
    );
    expect(metrics.body).toContain('process_cpu_user_seconds_total');
  });

  it('exposes metrics that promtool accepts without a problem', async (context) => {
    const promtool = spawnSync('promtool', ['--version']);
    if (promtool.error !== undefined) {
      if (process.env.CI === 'true')
        throw new Error('promtool is missing: run scripts/setup-tools.sh');
      console.warn(
        '\n!!! SKIPPING promtool check: promtool is not installed (scripts/setup-tools.sh) !!!\n',
      );
      context.skip();
    }
    const server = await start();
    await server.inject({ method: 'GET', url: '/health' });
    const metrics = await server.inject({ method: 'GET', url: '/metrics' });
    const checked = spawnSync('promtool', ['check', 'metrics'], {
      input: metrics.body,
      encoding: 'utf8',
    });
    expect(`${checked.stdout}${checked.stderr}`).toBe('');
    expect(checked.status).toBe(0);
  });

  it('serves the OpenAPI document and its UI', async () => {
    const server = await start();
    await server.ready();
    const doc = await server.inject({ method: 'GET', url: '/docs/json' });
    expect(doc.statusCode).toBe(200);
    expect(doc.json().openapi).toMatch(/^3\./);
    expect(Object.keys(doc.json().paths)).toContain('/health');
    expect((await server.inject({ method: 'GET', url: '/docs' })).statusCode).toBeLessThan(400);
  });
});
