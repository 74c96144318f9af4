// POST /v1/documents while Redis (the job queue) is frozen: the document is stored in SQL but its
// job cannot be queued. The answer is 503 with Retry-After, says the document was stored and
// under which id, and sending the same request again once Redis answers queues it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropRedisPrefix, redisAvailable, REDIS_URL, uniqueName } from '../support/backends.js';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { hostAndPort, startStallProxy, type StallProxy } from '../support/stall-proxy.js';

const hasRedis = await redisAvailable();

describe.skipIf(!hasRedis)('documents while Redis is frozen', () => {
  let proxy: StallProxy;
  let fixture: TestApp;
  const prefix = `${uniqueName('frozen')}:`;

  beforeAll(async () => {
    proxy = await startStallProxy(hostAndPort(REDIS_URL));
    fixture = await createTestApp({
      env: {
        ENGRAM_REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
        ENGRAM_REDIS_KEY_PREFIX: prefix,
        ENGRAM_REDIS_COMMAND_TIMEOUT_MS: '300',
      },
    });
  });

  afterAll(async () => {
    proxy?.resume();
    await fixture?.dispose();
    await proxy?.close();
    await dropRedisPrefix(prefix);
  });

  it('answers 503 with Retry-After and the truth about what was stored', async () => {
    const post = () =>
      fixture.app.inject({
        method: 'POST',
        url: '/v1/documents',
        payload: { content: '# Frozen\n\nStored while the queue was frozen.' },
      });
    proxy.stall();
    const frozen = await post();
    proxy.resume();
    expect(frozen.statusCode, frozen.body).toBe(503);
    expect(Number(frozen.headers['retry-after'])).toBeGreaterThan(0);
    const error = frozen.json<{
      error: { code: string; details: { stored: boolean; documentId: string } };
    }>().error;
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.details.stored).toBe(true);
    const stored = await fixture.app.inject({
      method: 'GET',
      url: `/v1/documents/${error.details.documentId}`,
    });
    expect(stored.statusCode).toBe(200);
    expect(stored.json().status).toBe('pending');

    const again = await post();
    expect(again.statusCode, again.body).toBe(202);
    expect(again.json()).toMatchObject({ id: error.details.documentId, created: false });
  });

  it('tells which documents of a batch were stored when the queue freezes', async () => {
    proxy.stall();
    const frozen = await fixture.app.inject({
      method: 'POST',
      url: '/v1/documents',
      payload: { documents: [{ content: 'first of a frozen batch' }, { content: 'second' }] },
    });
    proxy.resume();
    expect(frozen.statusCode, frozen.body).toBe(503);
    const details = frozen.json<{ error: { details: { index: number; storedIds: string[] } } }>()
      .error.details;
    expect(details.index).toBe(0);
    expect(details.storedIds).toHaveLength(1);
    const list = await fixture.app.inject({ method: 'GET', url: '/v1/documents' });
    const ids = list.json<{ documents: Array<{ id: string }> }>().documents.map((d) => d.id);
    expect(ids).toContain(details.storedIds[0]);
    expect(ids).toHaveLength(2);
  });

  it('answers 503, not 500, when a read needs the frozen Redis', async () => {
    proxy.stall();
    const frozen = await fixture.app.inject({ method: 'GET', url: '/v1/telemetry/dlq' });
    proxy.resume();
    expect(frozen.statusCode, frozen.body).toBe(503);
    expect(frozen.json().error.code).toBe('UNAVAILABLE');
    expect(Number(frozen.headers['retry-after'])).toBeGreaterThan(0);
  });
});
