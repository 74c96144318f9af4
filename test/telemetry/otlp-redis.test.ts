// OTLP through the distributed deployment: the API (no in-process workers) appends to the Redis
// stream, two `engram worker` processes fold it. The SDK exporters' spans and Claude Code events
// show exactly their figures, and re-exporting them (JSON and protobuf) changes nothing.
import { spawn, type ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPLogExporter as OTLPLogJsonExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as OTLPLogProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter as OTLPTraceJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPTraceProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropRedisPrefix, redisAvailable, REDIS_URL, uniqueName } from '../support/backends.js';
import { ACME, createTestApp, TWO_TENANT_API_KEYS, type TestApp } from '../support/runtime.js';
import { until } from './backends.js';
import {
  CLAUDE_CODE_FIGURES,
  claudeCodeRecords,
  exported,
  GEN_AI_FIGURES,
  genAiSpans,
} from './otlp-records.js';

const hasRedis = await redisAvailable();

describe.skipIf(!hasRedis)('OTLP through Redis with two engram worker processes', () => {
  const prefix = `${uniqueName('engram_test_otlp')}:`;
  const env = { ENGRAM_REDIS_URL: REDIS_URL, ENGRAM_REDIS_KEY_PREFIX: prefix };
  const workers: Array<{ child: ChildProcess; exited: Promise<number | null> }> = [];
  let fixture: TestApp;
  let base: string;

  beforeAll(async () => {
    fixture = await createTestApp({
      env: {
        ...env,
        ENGRAM_API_KEYS: TWO_TENANT_API_KEYS,
        ENGRAM_RATE_LIMIT_PER_MINUTE: '1000000',
      },
    });
    await fixture.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(fixture.app.server.address() as AddressInfo).port}`;
    for (let i = 0; i < 2; i += 1) {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'worker'], {
        env: {
          ...process.env,
          ...env,
          ENGRAM_DATA_DIR: fixture.config.dataDir,
          ENGRAM_LOG_LEVEL: 'info',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      // Consuming before anything is exported, and answering SIGTERM at the end.
      const running = new Promise<void>((resolve) => {
        let output = '';
        child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
          output += chunk;
          if (output.includes('engram worker running')) resolve();
        });
      });
      workers.push({ child, exited });
      await Promise.race([running, exited]);
      expect(child.exitCode).toBeNull();
    }
  }, 120_000);

  afterAll(async () => {
    for (const { child } of workers) child.kill('SIGTERM');
    const codes = await Promise.all(workers.map((w) => w.exited));
    await fixture.dispose();
    await dropRedisPrefix(prefix);
    expect(codes).toEqual([0, 0]);
  });

  const headers = { authorization: ACME.authorization };
  const summary = (agentId: string) =>
    fixture.runtime.telemetry.summary('acme', { window: '1h', agentId });
  /** Waits until the workers have folded and acknowledged everything appended. */
  const drained = () =>
    until(
      () => fixture.runtime.telemetry.streamStats(),
      (stats) => stats.length === 0,
      60_000,
    );

  it('folds spans and log events exactly once', async () => {
    const spans = genAiSpans();
    const records = claudeCodeRecords();
    const traces = {
      json: new OTLPTraceJsonExporter({ url: `${base}/otlp/v1/traces`, headers }),
      proto: new OTLPTraceProtoExporter({ url: `${base}/otlp/v1/traces`, headers }),
    };
    const logs = {
      json: new OTLPLogJsonExporter({ url: `${base}/otlp/v1/logs`, headers }),
      proto: new OTLPLogProtoExporter({ url: `${base}/otlp/v1/logs`, headers }),
    };
    expect((await exported(traces.proto, spans)).code).toBe(ExportResultCode.SUCCESS);
    expect((await exported(logs.json, records)).code).toBe(ExportResultCode.SUCCESS);
    const agent = await until(
      () => summary('travel-agent'),
      (s) => s.modelCalls.count >= GEN_AI_FIGURES.modelCalls.count,
      60_000,
    );
    expect(agent.modelCalls).toMatchObject(GEN_AI_FIGURES.modelCalls);
    expect(agent.modelCalls.cost).toBeCloseTo(GEN_AI_FIGURES.cost, 12);
    expect(agent.tools).toMatchObject(GEN_AI_FIGURES.tools);
    expect(agent.sessions).toMatchObject(GEN_AI_FIGURES.sessions);
    const claude = await until(
      () => summary('claude-code'),
      (s) => s.events >= CLAUDE_CODE_FIGURES.events,
      60_000,
    );
    expect(claude.modelCalls).toMatchObject(CLAUDE_CODE_FIGURES.modelCalls);
    expect(claude.modelCalls.cost).toBeCloseTo(CLAUDE_CODE_FIGURES.cost, 12);
    // The per-model fields fold through Redis hashes like every other field.
    expect(claude.modelCalls.byModel).toMatchObject(CLAUDE_CODE_FIGURES.byModel);
    expect(claude.suggestions).toMatchObject(CLAUDE_CODE_FIGURES.suggestions);
    expect(claude.tools).toMatchObject(CLAUDE_CODE_FIGURES.tools);
    expect(claude.sessions).toMatchObject(CLAUDE_CODE_FIGURES.sessions);
    expect((await drained()).length).toBe(0);

    // The same batches again, in both encodings: appended, folded by either worker, counted never.
    for (const exporter of [traces.json, traces.proto])
      expect((await exported(exporter, spans)).code).toBe(ExportResultCode.SUCCESS);
    for (const exporter of [logs.json, logs.proto])
      expect((await exported(exporter, records)).code).toBe(ExportResultCode.SUCCESS);
    expect((await drained()).length).toBe(0);
    expect(await summary('travel-agent')).toEqual(agent);
    expect(await summary('claude-code')).toEqual(claude);
    await Promise.all([...Object.values(traces), ...Object.values(logs)].map((e) => e.shutdown()));
  });
});
