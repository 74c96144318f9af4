// The soak's server-side latency: a histogram scraped from a real server's /metrics, differenced
// between two scrapes, gives the quantiles of exactly the requests served in between.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  histogramBetween,
  histogramCount,
  histogramQuantileMs,
  parseDurationHistogram,
} from '../../bench/suites/server-latency.js';
import { createTestApp, type TestApp } from '../support/runtime.js';

describe('server-side latency from the request-duration histogram', () => {
  let fixture: TestApp;
  beforeAll(async () => {
    fixture = await createTestApp();
  });
  afterAll(async () => {
    await fixture.dispose();
  });

  const scrape = async () =>
    parseDurationHistogram((await fixture.app.inject({ method: 'GET', url: '/metrics' })).body);

  it('counts only the requests served between two scrapes, per route, statuses summed', async () => {
    await fixture.app.inject({ method: 'GET', url: '/health' });
    const before = await scrape();
    for (let i = 0; i < 3; i += 1) await fixture.app.inject({ method: 'GET', url: '/health' });
    await fixture.app.inject({ method: 'GET', url: '/v1/sessions/nope' });
    const after = await scrape();
    expect(histogramCount(histogramBetween(before, after, ['GET /health']))).toBe(3);
    expect(histogramCount(histogramBetween(before, after, ['GET /v1/sessions/:id']))).toBe(1);
    expect(
      histogramCount(histogramBetween(before, after, ['GET /health', 'GET /v1/sessions/:id'])),
    ).toBe(4);
    expect(histogramBetween(before, after, ['POST /v1/recall'])).toBeUndefined();
  });

  it('estimates quantiles within the bucket that holds the rank, as histogram_quantile does', () => {
    const text = [
      'engram_http_request_duration_seconds_bucket{le="0.01",method="GET",route="/x",status="200"} 50',
      'engram_http_request_duration_seconds_bucket{le="0.1",method="GET",route="/x",status="200"} 90',
      'engram_http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/x",status="200"} 100',
      'engram_http_request_duration_seconds_bucket{le="0.01",method="GET",route="/x",status="500"} 0',
      'engram_http_request_duration_seconds_bucket{le="0.1",method="GET",route="/x",status="500"} 0',
      'engram_http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/x",status="500"} 100',
    ].join('\n');
    const histogram = histogramBetween(new Map(), parseDurationHistogram(text), ['GET /x']);
    expect(histogramCount(histogram)).toBe(200);
    // Rank 100 of 200: the 0.1 bucket holds ranks 51–90, +Inf 91–200 → the largest finite bound.
    expect(histogramQuantileMs(histogram, 0.5)).toBe(100);
    // Rank 25: halfway through the first bucket (0–10 ms).
    expect(histogramQuantileMs(histogram, 0.125)).toBeCloseTo(5, 6);
    expect(histogramQuantileMs(undefined, 0.5)).toBeNaN();
  });
});
