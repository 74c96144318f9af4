// OTLP ingestion end to end (POST /otlp/v1/traces and /logs → stream → folded, the summary
// showing every item) in JSON and protobuf, beside native POST /v1/events in the same run and
// the same embedded runtime (SQLite, in-process consumer). Spans are GenAI chat spans, log
// records Claude Code api_request events: each one model_call, like each native event.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load-config.js';
import { createSilentLogger } from '../../src/domain/logger.js';
import { buildApp } from '../../src/http/app.js';
import { createRuntime } from '../../src/runtime.js';
import { logRequestBytes, spanRequest, spanRequestBytes } from '../../test/telemetry/otlp-wire.js';
import type { BenchSuite, Measurement } from '../harness.js';

/** Items per request: the SDK's default export batch (maxExportBatchSize 512). */
const PER_REQUEST = 512;
const CLIENTS = 4;

const str = (key: string, value: string) => ({ key, value: { stringValue: value } });
const int = (key: string, value: number) => ({ key, value: { intValue: value } });

function spans(run: string, from: number, count: number, nowNs: bigint) {
  return Array.from({ length: count }, (_, i) => {
    const n = from + i;
    return {
      traceId: `${run}${n.toString(16)}`.padStart(32, '0').slice(-32),
      spanId: n.toString(16).padStart(16, '0'),
      name: 'chat gpt-4o',
      startTimeUnixNano: String(nowNs - 300_000_000n),
      endTimeUnixNano: String(nowNs),
      attributes: [
        str('gen_ai.operation.name', 'chat'),
        str('gen_ai.request.model', 'gpt-4o'),
        int('gen_ai.usage.input_tokens', 1000 + (n % 100)),
        int('gen_ai.usage.output_tokens', 200),
      ],
    };
  });
}

function logs(run: string, from: number, count: number, nowNs: bigint) {
  const records = Array.from({ length: count }, (_, i) => ({
    timeUnixNano: String(nowNs + BigInt(from + i)),
    body: { stringValue: 'claude_code.api_request' },
    attributes: [
      str('event.name', 'api_request'),
      str('session.id', `${run}-s${(from + i) % 50}`),
      str('model', 'claude-sonnet-4-5-20250929'),
      str('cost_usd', '0.0123'),
      str('duration_ms', '1800'),
      str('input_tokens', '1200'),
      str('output_tokens', '300'),
    ],
  }));
  return {
    resourceLogs: [
      {
        resource: { attributes: [str('service.name', 'claude-code')] },
        scopeLogs: [{ scope: { name: 'bench' }, logRecords: records }],
      },
    ],
  };
}

function nativeEvents(run: string, from: number, count: number, now: number) {
  return {
    events: Array.from({ length: count }, (_, i) => ({
      type: 'model_call',
      eventId: `${run}-${from + i}`,
      ts: now,
      sessionId: `${run}-s${(from + i) % 50}`,
      agentId: 'native',
      model: 'gpt-4o',
      latencyMs: 300,
      inputTokens: 1000 + ((from + i) % 100),
      outputTokens: 200,
    })),
  };
}

interface Phase {
  name: string;
  path: string;
  contentType: string;
  bodies: Array<string | Buffer>;
}

function phases(total: number): Phase[] {
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  const run = Date.now().toString(16);
  const chunks = (make: (from: number, count: number) => string | Buffer, size: number) =>
    Array.from({ length: Math.ceil(total / size) }, (_, c) =>
      make(c * size, Math.min(size, total - c * size)),
    );
  return [
    {
      name: 'native POST /v1/events (JSON, batches of 1000)',
      path: '/v1/events',
      contentType: 'application/json',
      bodies: chunks(
        (from, count) => JSON.stringify(nativeEvents(`n${run}`, from, count, Date.now())),
        1000,
      ),
    },
    {
      name: 'OTLP spans, JSON',
      path: '/otlp/v1/traces',
      contentType: 'application/json',
      bodies: chunks(
        (from, count) => JSON.stringify(spanRequest(spans(`a${run}`, from, count, nowNs), 'bench')),
        PER_REQUEST,
      ),
    },
    {
      name: 'OTLP spans, protobuf',
      path: '/otlp/v1/traces',
      contentType: 'application/x-protobuf',
      bodies: chunks(
        (from, count) =>
          spanRequestBytes(spanRequest(spans(`b${run}`, from, count, nowNs), 'bench')),
        PER_REQUEST,
      ),
    },
    {
      name: 'OTLP log records, JSON',
      path: '/otlp/v1/logs',
      contentType: 'application/json',
      bodies: chunks(
        (from, count) => JSON.stringify(logs(`c${run}`, from, count, nowNs)),
        PER_REQUEST,
      ),
    },
    {
      name: 'OTLP log records, protobuf',
      path: '/otlp/v1/logs',
      contentType: 'application/x-protobuf',
      bodies: chunks(
        (from, count) => logRequestBytes(logs(`d${run}`, from, count, nowNs + 1_000_000_000n)),
        PER_REQUEST,
      ),
    },
  ];
}

export const otlpSuite: BenchSuite = {
  name: 'otlp',
  description:
    'OTLP spans/s and log records/s end to end (JSON, protobuf) next to native POST /v1/events, embedded',
  async run(context) {
    const total = context.quick ? 10_000 : 50_000;
    const os = await import('node:os');
    context.log(
      `load average before the run: ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} on ${os.cpus().length} cores`,
    );
    const dataDir = mkdtempSync(join(tmpdir(), 'engram-bench-otlp-'));
    const config = loadConfig({
      env: {
        ENGRAM_DATA_DIR: dataDir,
        ENGRAM_LOG_LEVEL: 'silent',
        ENGRAM_RATE_LIMIT_PER_MINUTE: '0',
      },
    });
    const runtime = await createRuntime(config, { logger: createSilentLogger() });
    const app = await buildApp(runtime);
    runtime.startBackground();
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const folded = async () =>
      (await runtime.telemetry.summary('default', { window: '1h' })).modelCalls.count;
    const measurements: Measurement[] = [];
    let native: number | undefined;
    try {
      for (const phase of phases(total)) {
        const before = await folded();
        const start = performance.now();
        let next = 0;
        await Promise.all(
          Array.from({ length: CLIENTS }, async () => {
            while (next < phase.bodies.length) {
              const body = phase.bodies[next++]!;
              const response = await fetch(`${url}${phase.path}`, {
                method: 'POST',
                headers: { 'content-type': phase.contentType },
                body,
              });
              const text = await response.text();
              if (
                response.status >= 300 ||
                text.includes('partialSuccess') ||
                /"rejected":\[\{/.test(text)
              )
                throw new Error(`${phase.path} → ${response.status} ${text.slice(0, 200)}`);
            }
          }),
        );
        const posted = performance.now();
        let count = await folded();
        const deadline = Date.now() + 300_000;
        while (count < before + total && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 250));
          count = await folded();
        }
        if (count !== before + total)
          throw new Error(`${phase.name}: expected ${before + total} model calls, found ${count}`);
        const seconds = (performance.now() - start) / 1000;
        const rate = total / seconds;
        native ??= rate;
        context.log(
          `${phase.name}: ${total} folded in ${seconds.toFixed(1)} s (POSTs done at ${((posted - start) / 1000).toFixed(1)} s)`,
        );
        measurements.push({
          name: `embedded: ${phase.name} → folded`,
          unit: 'items/s',
          value: rate,
          ...(measurements.length === 0
            ? {}
            : { baseline: { name: 'native POST /v1/events, same run', value: native } }),
          note: `${total} items, ${CLIENTS} clients; ${((rate / native) * 100).toFixed(0)} % of native; all counted once`,
        });
      }
    } finally {
      await app.close();
      await runtime.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
    return measurements;
  },
};
