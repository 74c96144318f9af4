// Auth and /metrics at their edges, through the real app: refused keys and unmatched routes
// count against the caller's rate limit; /metrics is closed to anonymous callers (and to tenant keys) when API
// keys are set, opens with ENGRAM_METRICS_TOKEN, is rate limited, and its label values are
// bounded however many tool names or tenants there are.
import { afterEach, describe, expect, it } from 'vitest';
import { parseApiKeys } from '../../src/config/api-keys.js';
import { ACME, createTestApp, TWO_TENANT_API_KEYS, type TestApp } from '../support/runtime.js';
import { until } from '../telemetry/backends.js';

const METRICS_TOKEN = 'metrics-token-0123456789';
const WRONG = { authorization: 'Bearer not-a-key-at-all-0000000' };

let fixture: TestApp | undefined;
afterEach(async () => {
  await fixture?.dispose();
  fixture = undefined;
});

async function start(env: Record<string, string>): Promise<TestApp> {
  fixture = await createTestApp({ env });
  return fixture;
}

function labelValues(exposition: string, metric: string, label: string): Set<string> {
  const values = new Set<string>();
  const pattern = new RegExp(`^${metric}\\{[^}]*\\b${label}="([^"]*)"`, 'gm');
  for (const match of exposition.matchAll(pattern)) values.add(match[1]!);
  return values;
}

describe('auth edges', () => {
  it('rate-limits wrong API keys per client address, apart from the tenants’ limits', async () => {
    const { app } = await start({
      ENGRAM_API_KEYS: TWO_TENANT_API_KEYS,
      ENGRAM_RATE_LIMIT_PER_MINUTE: '3',
    });
    const codes: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      codes.push((await app.inject({ url: '/v1/sessions', headers: WRONG })).statusCode);
    }
    expect(codes).toEqual([401, 401, 401, 429, 429]);
    // A missing key counts against the same address.
    expect((await app.inject({ url: '/v1/sessions' })).statusCode).toBe(429);
    // The tenant's own budget is untouched.
    expect((await app.inject({ url: '/v1/sessions', headers: ACME })).statusCode).toBe(200);
    expect((await app.inject({ url: '/health' })).statusCode).toBe(200);
  });

  it('rate-limits unmatched routes like any request, and never echoes their URL', async () => {
    const { app } = await start({
      ENGRAM_API_KEYS: TWO_TENANT_API_KEYS,
      ENGRAM_RATE_LIMIT_PER_MINUTE: '3',
    });
    // The second is a path no store could keep: still just a path that matches no route.
    const urls = [0, 1, 2, 3, 4].map((i) =>
      i === 1 ? '/n0-such%00' : `/v1/n0-such-${i}/<script>?token=s3cret-${i}`,
    );
    const answers = [];
    for (const url of urls) answers.push(await app.inject({ url, headers: ACME }));
    expect(answers.map((answer) => answer.statusCode)).toEqual([404, 404, 404, 429, 429]);
    const notFound = answers[0]!;
    expect(notFound.json().error.code).toBe('NOT_FOUND');
    for (const fragment of ['n0-such', '<script>', 's3cret', 'token']) {
      expect(notFound.body).not.toContain(fragment);
    }
  });
});

describe('/metrics', () => {
  it('is closed to anonymous callers and tenant keys while API keys are set', async () => {
    const { app } = await start({ ENGRAM_API_KEYS: TWO_TENANT_API_KEYS });
    const anonymous = await app.inject({ url: '/metrics' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().error.message).toContain('ENGRAM_METRICS_TOKEN');
    expect(anonymous.body).not.toContain('engram_');
    expect((await app.inject({ url: '/metrics', headers: ACME })).statusCode).toBe(401);
  });

  it('opens with ENGRAM_METRICS_TOKEN only', async () => {
    const { app } = await start({
      ENGRAM_API_KEYS: TWO_TENANT_API_KEYS,
      ENGRAM_METRICS_TOKEN: METRICS_TOKEN,
    });
    expect((await app.inject({ url: '/metrics' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/metrics', headers: ACME })).statusCode).toBe(401);
    expect((await app.inject({ url: '/metrics', headers: WRONG })).statusCode).toBe(401);
    const scraped = await app.inject({
      url: '/metrics',
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(scraped.statusCode).toBe(200);
    expect(scraped.body).toContain('engram_telemetry_events{tenant="acme"');
  });

  it('is rate limited', async () => {
    const { app } = await start({ ENGRAM_RATE_LIMIT_PER_MINUTE: '3' });
    const codes: number[] = [];
    for (let i = 0; i < 4; i += 1) codes.push((await app.inject({ url: '/metrics' })).statusCode);
    expect(codes).toEqual([200, 200, 200, 429]);
  });

  it('folds tool names past the cap into "__other__", keeping the counts', async () => {
    const { app, runtime } = await start({ ENGRAM_METRICS_MAX_LABEL_VALUES: '5' });
    runtime.startBackground();
    const now = Date.now();
    const events = Array.from({ length: 40 }, (_, i) => ({
      type: 'tool_call',
      eventId: `e${i}`,
      ts: now - 1000,
      sessionId: 's1',
      agentId: 'a1',
      tool: `tool-${i % 20}`,
      success: i % 2 === 0,
      durationMs: 10,
    }));
    expect(
      (await app.inject({ method: 'POST', url: '/v1/events', payload: { events } })).statusCode,
    ).toBe(202);
    await until(
      async () =>
        (await app.inject({ url: '/v1/metrics/summary?window=5m' })).json<{ events: number }>()
          .events,
      (count) => count === 40,
    );
    const body = (await app.inject({ url: '/metrics' })).body;
    const tools = labelValues(body, 'engram_telemetry_tool_calls', 'tool');
    expect(tools.size).toBe(6);
    expect(tools).toContain('__other__');
    let calls = 0;
    for (const match of body.matchAll(/^engram_telemetry_tool_calls\{[^}]*\} (\d+)$/gm)) {
      calls += Number(match[1]);
    }
    expect(calls).toBe(40);
    expect(labelValues(body, 'engram_telemetry_tool_success_rate', 'tool').size).toBe(7);
  });

  it('gives cost per model and per agent, models and agents past the cap folded with their sums', async () => {
    const { app, runtime } = await start({ ENGRAM_METRICS_MAX_LABEL_VALUES: '3' });
    runtime.startBackground();
    const now = Date.now();
    // Eight models and eight agents; gpt-4o is priced from the table ($2.5 / $10 per million).
    const events = Array.from({ length: 16 }, (_, i) => ({
      type: 'model_call',
      eventId: `m${i}`,
      ts: now - 1000,
      sessionId: 's1',
      agentId: `agent-${i % 8}`,
      model: i < 8 ? `custom-model-${i}` : 'gpt-4o',
      latencyMs: 100,
      inputTokens: 1_000_000,
      outputTokens: 0,
      ...(i < 8 ? { cost: i + 1 } : {}),
    }));
    expect(
      (await app.inject({ method: 'POST', url: '/v1/events', payload: { events } })).statusCode,
    ).toBe(202);
    await until(
      async () =>
        (await app.inject({ url: '/v1/metrics/summary?window=5m' })).json<{ events: number }>()
          .events,
      (count) => count === 16,
    );
    const body = (await app.inject({ url: '/metrics' })).body;
    const sum = (gauge: string) =>
      [...body.matchAll(new RegExp(`^${gauge}\\{[^}]*\\} ([\\d.e+-]+)$`, 'gm'))].reduce(
        (acc, match) => acc + Number(match[1]),
        0,
      );
    const total = 1 + 2 + 3 + 4 + 5 + 6 + 7 + 8 + 8 * 2.5;
    expect(labelValues(body, 'engram_telemetry_model_cost_usd', 'model')).toEqual(
      new Set(['gpt-4o', 'custom-model-7', 'custom-model-6', '__other__']),
    );
    expect(sum('engram_telemetry_model_cost_usd')).toBeCloseTo(total, 9);
    expect(sum('engram_telemetry_model_calls_by_model')).toBe(16);
    expect(labelValues(body, 'engram_telemetry_agent_cost_usd', 'agent').size).toBe(4);
    expect(sum('engram_telemetry_agent_cost_usd')).toBeCloseTo(total, 9);
    expect(sum('engram_telemetry_cost_usd')).toBeCloseTo(total, 9);
  });

  it('folds tenants past the cap into "__other__", apart from a tenant named "other"', async () => {
    const keys = ['other', 'tenant0', 'tenant1', 'tenant2']
      .map((tenant, i) => `key-for-tenant-${i}-0123456789:${tenant}`)
      .join(',');
    const { app } = await start({
      ENGRAM_API_KEYS: keys,
      ENGRAM_METRICS_TOKEN: METRICS_TOKEN,
      ENGRAM_METRICS_MAX_LABEL_VALUES: '2',
    });
    const body = (
      await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
    ).body;
    expect(labelValues(body, 'engram_telemetry_events', 'tenant')).toEqual(
      new Set(['other', 'tenant0', '__other__']),
    );
    expect(body.match(/^engram_telemetry_events\{/gm)).toHaveLength(3);
    // The overflow label cannot be a tenant's name.
    expect(() => parseApiKeys('key-for-tenant-x-0123456789:__other__')).toThrow(/reserved/);
  });
});
