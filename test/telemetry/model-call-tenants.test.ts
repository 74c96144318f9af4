// Engram's own model calls are telemetry of the tenant they ran for (issue #17, item 12): the
// recorder attributes each call to the tenant scope it was made in, and the HTTP app, jobs and
// background memory work set that scope — so acme's recall shows in acme's figures, not in
// tenant `default`'s nor umbrella's — and priced from the model price table.
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/domain/clock.js';
import { createSilentLogger } from '../../src/domain/logger.js';
import { runForTenant } from '../../src/domain/tenant-scope.js';
import { createTelemetryConsumer } from '../../src/telemetry/consumer.js';
import { createModelCallRecorder } from '../../src/telemetry/model-calls.js';
import { createTelemetryService, type Summary } from '../../src/telemetry/service.js';
import {
  ACME,
  createTestApp,
  TWO_TENANT_API_KEYS,
  UMBRELLA,
  type TestApp,
} from '../support/runtime.js';
import { startHashingEmbeddingServer } from '../support/hashing-embedding-server.js';
import { openTempSqliteTelemetry, until } from './backends.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("model-call telemetry goes to the caller's tenant", () => {
  it('records each call for the tenant scope it ran in (default outside every scope)', async () => {
    const backend = await openTempSqliteTelemetry();
    cleanups.push(() => backend.close());
    const service = createTelemetryService({
      stream: backend.stream,
      metrics: backend.metrics,
      clock: systemClock,
      batchMaxEvents: 100,
    });
    const recorder = createModelCallRecorder({
      service,
      clock: systemClock,
      logger: createSilentLogger(),
    });
    const call = { kind: 'embedding' as const, provider: 'local', model: 'm', success: true };
    runForTenant('acme', () => recorder.record({ ...call, latencyMs: 1 }));
    await runForTenant('umbrella', async () => {
      await Promise.resolve();
      recorder.record({ ...call, latencyMs: 2 });
      recorder.record({ ...call, latencyMs: 3 });
    });
    recorder.record({ ...call, latencyMs: 4 });
    await recorder.close();
    await createTelemetryConsumer({
      stream: backend.stream,
      metrics: backend.metrics,
      consumerName: 'c',
      logger: createSilentLogger(),
      claimIdleMs: 1000,
      maxDeliveries: 3,
    }).drainOnce();
    const calls = async (tenant: string) =>
      (await service.summary(tenant, { window: '5m', agentId: 'engram' })).modelCalls;
    expect(await calls('acme')).toMatchObject({ count: 1, latencyMs: { max: 1 } });
    expect(await calls('umbrella')).toMatchObject({ count: 2, latencyMs: { max: 3 } });
    expect(await calls('default')).toMatchObject({ count: 1, latencyMs: { max: 4 } });
  });

  it("an HTTP request's embedding calls are its tenant's", async () => {
    const fixture: TestApp = await createTestApp({
      env: { ENGRAM_API_KEYS: TWO_TENANT_API_KEYS },
    });
    cleanups.push(() => fixture.dispose());
    fixture.runtime.startBackground();
    const recalled = await fixture.app.inject({
      method: 'POST',
      url: '/v1/recall',
      headers: ACME,
      payload: { query: 'Where did Melanie go camping?' },
    });
    expect(recalled.statusCode).toBe(200);
    const summaryOf = async (headers: Record<string, string>) =>
      (
        await fixture.app.inject({
          method: 'GET',
          url: '/v1/metrics/summary?window=5m&agentId=engram',
          headers,
        })
      ).json<Summary>();
    const acme = await until(
      () => summaryOf(ACME),
      (s) => s.modelCalls.count > 0,
      15_000,
    );
    expect(acme.modelCalls.count).toBeGreaterThan(0);
    expect((await summaryOf(UMBRELLA)).modelCalls.count).toBe(0);
    const defaults = await fixture.runtime.telemetry.summary('default', {
      window: '5m',
      agentId: 'engram',
    });
    expect(defaults.modelCalls.count).toBe(0);
  });

  it('prices calls to an OpenAI-compatible embedder from the price table, for the tenant', async () => {
    const server = await startHashingEmbeddingServer();
    cleanups.push(() => server.close());
    const fixture: TestApp = await createTestApp({
      env: {
        ...server.env,
        ENGRAM_API_KEYS: TWO_TENANT_API_KEYS,
        // $1000 per million input tokens: one token costs $0.001.
        ENGRAM_MODEL_PRICES: JSON.stringify({ hashing: { input: 1000, output: 0 } }),
      },
    });
    cleanups.push(() => fixture.dispose());
    fixture.runtime.startBackground();
    const recalled = await fixture.app.inject({
      method: 'POST',
      url: '/v1/recall',
      headers: ACME,
      payload: { query: 'Where did Melanie go camping?' },
    });
    expect(recalled.statusCode).toBe(200);
    const acme = await until(
      async () =>
        (
          await fixture.app.inject({
            url: '/v1/metrics/summary?window=5m&agentId=engram',
            headers: ACME,
          })
        ).json<Summary>(),
      (s) => s.modelCalls.count > 0,
      15_000,
    );
    const tokens = acme.modelCalls.inputTokens;
    expect(tokens).toBeGreaterThan(0);
    expect(acme.modelCalls.cost).toBeCloseTo(tokens * 0.001, 12);
    expect(acme.modelCalls.byModel).toEqual([
      expect.objectContaining({ model: 'openai:hashing', inputTokens: tokens }),
    ]);
    expect(acme.byAgent).toEqual([
      expect.objectContaining({ agentId: 'engram', cost: expect.closeTo(tokens * 0.001, 12) }),
    ]);
  });
});
