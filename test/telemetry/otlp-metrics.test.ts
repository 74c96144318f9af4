// OTLP metrics through the official OpenTelemetry JS exporter against the listening server:
// Claude Code's claude_code.token.usage, claude_code.cost.usage and
// claude_code.lines_of_code.count (its meter, resource and attributes), cumulative (the SDK's
// default) and delta (Claude Code's default). GET /v1/metrics/otlp then shows exactly what was
// counted; exporting the same batches again changes nothing; past the tenant's series bound the
// answer's partialSuccess says which points were refused and why, and the other tenant is not
// affected.
import type { AddressInfo } from 'node:net';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import {
  AggregationTemporalityPreference,
  OTLPMetricExporter,
} from '@opentelemetry/exporter-metrics-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricSeriesPage } from '../../src/telemetry/otlp/metric-series.js';
import {
  ACME,
  createTestApp,
  TWO_TENANT_API_KEYS,
  UMBRELLA,
  type TestApp,
} from '../support/runtime.js';

const MAX_SERIES = 20;
let fixture: TestApp;
let base: string;

beforeAll(async () => {
  fixture = await createTestApp({
    env: {
      ENGRAM_API_KEYS: TWO_TENANT_API_KEYS,
      ENGRAM_RATE_LIMIT_PER_MINUTE: '1000000',
      ENGRAM_OTLP_MAX_SERIES_PER_TENANT: String(MAX_SERIES),
    },
  });
  await fixture.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(fixture.app.server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await fixture.dispose();
});

/** A reader we collect from by hand, so one collected batch can be exported again. */
class CollectingReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

function exported(exporter: OTLPMetricExporter, batch: ResourceMetrics): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(batch, resolve));
}

/** Claude Code's meter, resource and standard attributes, for one session. */
function claudeCode(session: string, temporality: AggregationTemporalityPreference) {
  const exporter = new OTLPMetricExporter({
    url: `${base}/otlp/v1/metrics`,
    headers: ACME,
    temporalityPreference: temporality,
  });
  const reader = new CollectingReader({
    aggregationTemporalitySelector: (type) => exporter.selectAggregationTemporality(type),
  });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({
      'service.name': 'claude-code',
      'service.version': '2.0.14',
      'os.type': 'linux',
      'host.arch': 'x64',
    }),
    readers: [reader],
  });
  const meter = provider.getMeter('com.anthropic.claude_code', '2.0.14');
  const standard = {
    'session.id': session,
    'user.account_uuid': 'acct-1',
    'organization.id': 'org-1',
    'terminal.type': 'vscode',
  };
  const tokens = meter.createCounter('claude_code.token.usage', { unit: 'tokens' });
  const cost = meter.createCounter('claude_code.cost.usage', { unit: 'USD' });
  const lines = meter.createCounter('claude_code.lines_of_code.count', { unit: 'count' });
  return {
    exporter,
    provider,
    tokens: (type: string, n: number) =>
      tokens.add(n, { ...standard, type, model: 'claude-sonnet-4-5-20250929' }),
    cost: (usd: number) => cost.add(usd, { ...standard, model: 'claude-sonnet-4-5-20250929' }),
    lines: (type: 'added' | 'removed', n: number) => lines.add(n, { ...standard, type }),
    collect: async () => (await reader.collect()).resourceMetrics,
  };
}

type SeriesAnswer = Omit<MetricSeriesPage, 'next'> & { nextCursor: string | null };

async function series(tenant: { authorization: string }, name?: string, paging = '') {
  const query = name === undefined ? '' : `&name=${encodeURIComponent(name)}`;
  const response = await fetch(`${base}/v1/metrics/otlp?window=1h&step=5m${query}${paging}`, {
    headers: tenant,
  });
  expect(response.status).toBe(200);
  return (await response.json()) as SeriesAnswer;
}

/** The window totals of a session's series: "metric type" → value. */
function totals(page: SeriesAnswer, session: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of page.series) {
    if (s.attributes['session.id'] !== session) continue;
    const key = `${s.name} ${String(s.attributes.type ?? '')}`.trim();
    out[key] = (s.total as { value: number }).value;
  }
  return out;
}

describe('OTLP metric series from the OpenTelemetry JS exporter', () => {
  it.each([
    ['cumulative', AggregationTemporalityPreference.CUMULATIVE],
    ['delta', AggregationTemporalityPreference.DELTA],
  ])(
    'stores Claude Code’s %s counters exactly once and shows what they counted',
    async (label, temporality) => {
      const session = `session-${label}`;
      const cc = claudeCode(session, temporality);
      cc.tokens('input', 1200);
      cc.tokens('output', 300);
      cc.tokens('cacheRead', 5000);
      cc.tokens('cacheCreation', 800);
      cc.cost(0.0123);
      cc.lines('added', 40);
      cc.lines('removed', 7);
      const first = await cc.collect();
      expect((await exported(cc.exporter, first)).code).toBe(ExportResultCode.SUCCESS);
      cc.tokens('input', 100);
      cc.lines('added', 2);
      cc.cost(0.001);
      const second = await cc.collect();
      expect((await exported(cc.exporter, second)).code).toBe(ExportResultCode.SUCCESS);

      const page = await series(ACME);
      expect(totals(page, session)).toEqual({
        'claude_code.token.usage input': 1300,
        'claude_code.token.usage output': 300,
        'claude_code.token.usage cacheRead': 5000,
        'claude_code.token.usage cacheCreation': 800,
        'claude_code.cost.usage': expect.closeTo(0.0133, 12),
        'claude_code.lines_of_code.count added': 42,
        'claude_code.lines_of_code.count removed': 7,
      });
      const input = page.series.find(
        (s) => s.attributes['session.id'] === session && s.attributes.type === 'input',
      )!;
      expect(input).toMatchObject({
        kind: 'sum',
        unit: 'tokens',
        temporality: label,
        monotonic: true,
        resource: { 'service.name': 'claude-code', 'service.version': '2.0.14' },
        attributes: { model: 'claude-sonnet-4-5-20250929', 'organization.id': 'org-1' },
      });

      // The same batches again, in any order: nothing changes.
      expect((await exported(cc.exporter, second)).code).toBe(ExportResultCode.SUCCESS);
      expect((await exported(cc.exporter, first)).code).toBe(ExportResultCode.SUCCESS);
      const again = await series(ACME);
      expect(again.series).toEqual(page.series);
      await cc.provider.shutdown();
    },
  );

  it('answers the one metric asked for', async () => {
    const page = await series(ACME, 'claude_code.cost.usage');
    expect(page.series.length).toBeGreaterThan(0);
    expect(page.series.every((s) => s.name === 'claude_code.cost.usage')).toBe(true);
    expect(page).toMatchObject({ window: '1h', step: '5m', maxSeries: MAX_SERIES });
  });

  it('refuses points of new series past the tenant’s bound, says why, and keeps the rest', async () => {
    const now = `${Date.now()}000000`;
    const gauge = (i: number) => ({
      name: 'queue.depth',
      gauge: {
        dataPoints: [
          {
            timeUnixNano: now,
            asInt: String(i),
            attributes: [{ key: 'queue', value: { stringValue: `q${i}` } }],
          },
        ],
      },
    });
    const body = {
      resourceMetrics: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'worker' } }] },
          scopeMetrics: [{ metrics: Array.from({ length: MAX_SERIES + 5 }, (_, i) => gauge(i)) }],
        },
      ],
    };
    const post = () =>
      fetch(`${base}/otlp/v1/metrics`, {
        method: 'POST',
        headers: { ...UMBRELLA, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const response = await post();
    expect(response.status).toBe(200);
    const answer = (await response.json()) as {
      partialSuccess: { rejectedDataPoints: string; errorMessage: string };
    };
    expect(answer.partialSuccess.rejectedDataPoints).toBe('5');
    expect(answer.partialSuccess.errorMessage).toContain(
      `limit of ${MAX_SERIES} metric series (ENGRAM_OTLP_MAX_SERIES_PER_TENANT)`,
    );
    const page = await series(UMBRELLA, 'queue.depth');
    expect(page.seriesHeld).toBe(MAX_SERIES);
    expect(page.series.map((s) => s.attributes.queue).sort()).toEqual(
      Array.from({ length: MAX_SERIES }, (_, i) => `q${i}`).sort(),
    );
    expect(page.series[0]!.total).toMatchObject({ samples: 1 });
    expect(page.nextCursor).toBeNull();
    // Paged by 7: every series once, in the same order.
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const next: SeriesAnswer = await series(
        UMBRELLA,
        'queue.depth',
        `&limit=7${cursor === null ? '' : `&cursor=${cursor}`}`,
      );
      expect(next.series.length).toBeLessThanOrEqual(7);
      paged.push(...next.series.map((s) => s.seriesId));
      cursor = next.nextCursor;
    } while (cursor !== null);
    expect(paged).toEqual(page.series.map((s) => s.seriesId));
    const bad = await fetch(`${base}/v1/metrics/otlp?cursor=bm90LW91cnM`, { headers: UMBRELLA });
    expect(bad.status).toBe(400);
    // A resend stores nothing new and refuses the same points.
    const resent = (await (await post()).json()) as typeof answer;
    expect(resent.partialSuccess.rejectedDataPoints).toBe('5');
    expect((await series(UMBRELLA, 'queue.depth')).series).toEqual(page.series);
    // The other tenant's series are its own.
    expect((await series(ACME, 'queue.depth')).series).toEqual([]);
  });

  it('keeps summaries as unmapped and rejects points without a time, saying which is which', async () => {
    const response = await fetch(`${base}/otlp/v1/metrics`, {
      method: 'POST',
      headers: { ...UMBRELLA, 'content-type': 'application/json' },
      body: JSON.stringify({
        resourceMetrics: [
          {
            scopeMetrics: [
              {
                scope: { name: 'rpc-meter' },
                metrics: [
                  {
                    name: 'rpc.latency',
                    summary: { dataPoints: [{ timeUnixNano: '1', count: 1 }] },
                  },
                  { name: 'no.time', gauge: { dataPoints: [{ asDouble: 1 }] } },
                ],
              },
            ],
          },
        ],
      }),
    });
    const answer = (await response.json()) as {
      partialSuccess: { rejectedDataPoints: string; errorMessage: string };
    };
    expect(answer.partialSuccess).toEqual({
      rejectedDataPoints: '1',
      errorMessage:
        '1 of 2 data points rejected: 1 × no.time: data point has no valid timeUnixNano. ' +
        '1 of 2 data points accepted but not mapped, kept (GET /v1/telemetry/unmapped): ' +
        '1 × summary data points are not stored as series (send a histogram)',
    });
    const listed = await fetch(`${base}/v1/telemetry/unmapped?signal=metrics`, {
      headers: UMBRELLA,
    });
    expect(await listed.json()).toMatchObject({
      records: [
        {
          signal: 'metrics',
          name: 'rpc.latency',
          reason: 'summary data points are not stored as series (send a histogram)',
          record: {
            scope: { name: 'rpc-meter' },
            metric: { name: 'rpc.latency', kind: 'summary' },
            dataPoint: { timeUnixNano: '1', count: 1 },
          },
        },
      ],
      nextCursor: null,
    });
  });
});
