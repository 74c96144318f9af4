// Unmapped OTLP items through the HTTP app: past ENGRAM_OTLP_MAX_UNMAPPED_PER_TENANT the oldest go
// first and the drop is counted (counts endpoint and Prometheus); the list pages newest first
// with the cursor it issues and refuses one it did not; malformed spans are rejected, never kept
// as unmapped; a record past 64 KiB is kept as a prefix, flagged truncated.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACME, createTestApp, TWO_TENANT_API_KEYS, type TestApp } from '../support/runtime.js';
import { spanRequest, type JsonSpan } from './otlp-wire.js';

const MAX = 5;
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({
    env: {
      ENGRAM_API_KEYS: TWO_TENANT_API_KEYS,
      ENGRAM_RATE_LIMIT_PER_MINUTE: '1000000',
      ENGRAM_OTLP_MAX_UNMAPPED_PER_TENANT: String(MAX),
    },
  });
});

afterAll(async () => {
  await t.dispose();
});

const NOW_NS = BigInt(Date.now() - 60_000) * 1_000_000n;
let counter = 0;

/** A well-formed HTTP span: nothing maps it. */
function httpSpan(name: string, extra: Partial<JsonSpan> = {}): JsonSpan {
  counter += 1;
  return {
    traceId: counter.toString(16).padStart(32, 'c'),
    spanId: counter.toString(16).padStart(16, 'd'),
    name,
    startTimeUnixNano: String(NOW_NS),
    endTimeUnixNano: String(NOW_NS + 5_000_000n),
    attributes: [{ key: 'http.request.method', value: { stringValue: 'GET' } }],
    ...extra,
  };
}

async function send(spans: JsonSpan[]) {
  const response = await t.app.inject({
    method: 'POST',
    url: '/otlp/v1/traces',
    headers: { ...ACME, 'content-type': 'application/json' },
    payload: JSON.stringify(spanRequest(spans)),
  });
  expect(response.statusCode).toBe(200);
  return response.json<{ partialSuccess?: { rejectedSpans: string; errorMessage: string } }>();
}

interface Page {
  records: Array<{
    name: string;
    truncated: boolean;
    record: unknown;
    recordPrefix: string | null;
    recordBytes: number;
  }>;
  nextCursor: string | null;
}

async function list(query: string) {
  return t.app.inject({ url: `/v1/telemetry/unmapped?${query}`, headers: ACME });
}

describe('unmapped OTLP items', () => {
  it('keeps the newest past the bound, counts the drop, and pages newest first', async () => {
    await send([1, 2, 3].map((n) => httpSpan(`GET /bound/${n}`)));
    await send([4, 5, 6, 7].map((n) => httpSpan(`GET /bound/${n}`)));
    const counts = await t.app.inject({ url: '/v1/telemetry/unmapped/counts', headers: ACME });
    expect(counts.json()).toMatchObject({ held: MAX, received: 7, dropped: 2, maxRecords: MAX });
    expect(
      await t.runtime.metrics.getSingleMetricAsString('engram_otlp_unmapped_dropped_total'),
    ).toContain('engram_otlp_unmapped_dropped_total{signal="traces"} 2');
    expect(await t.runtime.metrics.getSingleMetricAsString('engram_otlp_items_total')).toContain(
      'engram_otlp_items_total{signal="traces",outcome="unmapped"} 7',
    );

    const names: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Page = (
        await list(`limit=2${cursor === null ? '' : `&cursor=${cursor}`}`)
      ).json();
      expect(page.records.length).toBeLessThanOrEqual(2);
      names.push(...page.records.map((r) => r.name));
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(names).toEqual([7, 6, 5, 4, 3].map((n) => `GET /bound/${n}`));

    const bad = await list('cursor=not-ours');
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({
      error: { message: 'The cursor is not one this server issued.' },
    });
  });

  it('rejects malformed spans in the answer and never keeps them as unmapped', async () => {
    const noIds = httpSpan('GET /malformed/ids', { traceId: 'xyz' });
    const noTimes = httpSpan('GET /malformed/times', { endTimeUnixNano: '' });
    const answer = await send([noIds, noTimes]);
    expect(answer.partialSuccess).toEqual({
      rejectedSpans: '2',
      errorMessage:
        '2 of 2 spans rejected: 1 × span has no valid traceId (16 bytes) and spanId (8 bytes); 1 × span has no startTimeUnixNano / endTimeUnixNano',
    });
    for (const name of ['GET /malformed/ids', 'GET /malformed/times'])
      expect((await list(`name=${encodeURIComponent(name)}`)).json<Page>().records).toEqual([]);
  });

  it('keeps a record past 64 KiB as its prefix, flagged truncated', async () => {
    const big = httpSpan('GET /big', {
      attributes: [{ key: 'http.response.body', value: { stringValue: 'é'.repeat(50_000) } }],
    });
    const small = httpSpan('GET /small');
    await send([big, small]);
    const page = (await list('limit=2')).json<Page>();
    const [kept, whole] = [
      page.records.find((r) => r.name === 'GET /big')!,
      page.records.find((r) => r.name === 'GET /small')!,
    ];
    expect(kept).toMatchObject({ truncated: true, record: null });
    expect(kept.recordBytes).toBeGreaterThan(100_000);
    expect(Buffer.byteLength(kept.recordPrefix!)).toBeLessThanOrEqual(64 * 1024);
    expect(kept.recordPrefix!.startsWith('{"resource":{"service.name":"otlp-edge"}')).toBe(true);
    expect(kept.recordPrefix).not.toContain('\uFFFD');
    expect(whole).toMatchObject({
      truncated: false,
      recordPrefix: null,
      record: { span: { name: 'GET /small' } },
    });
  });
});
