// Done-when tests of agent telemetry, on both backends: worker PROCESSES consume one stream
// concurrently and every figure is exact (quantiles within the sketch's bound); a poison entry is
// dead-lettered after 3 deliveries with its error and can be replayed; a worker SIGKILLed between
// fold and ack loses nothing and counts nothing twice; an invalid event is rejected alone.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createManualClock, systemClock } from '../../src/domain/clock.js';
import { createSilentLogger } from '../../src/domain/logger.js';
import type { MetricStore } from '../../src/ports/metric-store.js';
import { createTelemetryConsumer } from '../../src/telemetry/consumer.js';
import { createTelemetryService, type TelemetryService } from '../../src/telemetry/service.js';
import {
  dropRedisPrefix,
  dropSchema,
  postgresAvailable,
  redisAvailable,
  uniqueName,
} from '../support/backends.js';
import {
  openTelemetryBackend,
  openTempSqliteTelemetry,
  until,
  type BackendSpec,
  type TelemetryBackend,
} from './backends.js';
import { exactQuantile, generateEvents } from './generate.js';

const hasRedis = await redisAvailable();
const hasPostgres = await postgresAvailable();
const CLAIM_IDLE_MS = 400;
const ALPHA = 0.01;

interface Worker {
  child: ChildProcess;
  output: string[];
  waitFor(text: string, timeoutMs?: number): Promise<void>;
}

const running: Worker[] = [];
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const worker of running.splice(0)) {
    if (worker.child.exitCode === null && worker.child.signalCode === null) {
      const exited = new Promise((resolve) => worker.child.once('exit', resolve));
      worker.child.kill('SIGTERM');
      await exited;
    }
  }
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function spawnWorker(
  backend: BackendSpec,
  consumer: string,
  extra: Record<string, unknown> = {},
): Worker {
  const options = { backend, consumer, claimIdleMs: CLAIM_IDLE_MS, maxDeliveries: 3, ...extra };
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/telemetry/worker-process.ts', JSON.stringify(options)],
    {
      cwd: process.cwd(),
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const output: string[] = [];
  const listeners = new Set<() => void>();
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output.push(...chunk.split('\n').filter((line) => line.length > 0));
    for (const listener of listeners) listener();
  });
  const worker: Worker = {
    child,
    output,
    waitFor: (text, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (output.some((line) => line.startsWith(text))) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(
            new Error(`worker ${consumer} did not print "${text}" (output: ${output.join(' | ')})`),
          );
        }, timeoutMs);
        listeners.add(check);
        check();
      }),
  };
  running.push(worker);
  return worker;
}

async function listDead(service: TelemetryService, tenantId: string) {
  return (await service.deadLetters(tenantId, { limit: 10 })).deadLetters;
}

function within(estimate: number | null, exact: number): void {
  expect(estimate).not.toBeNull();
  expect(Math.abs(estimate! - exact)).toBeLessThanOrEqual(
    ALPHA * Math.abs(exact) * (1 + 1e-9) + 1e-9,
  );
}

const backends: Array<{ name: string; available: boolean; make: () => BackendSpec }> = [
  {
    name: 'embedded (SQLite)',
    available: true,
    make: () => {
      const dir = mkdtempSync(join(tmpdir(), 'engram-telemetry-'));
      cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
      return { kind: 'sqlite', path: join(dir, 'engram.db'), leaseMs: CLAIM_IDLE_MS };
    },
  },
  {
    name: 'distributed (Redis Streams)',
    available: hasRedis,
    make: () => {
      const prefix = `${uniqueName('engram_test_telemetry')}:`;
      cleanups.push(() => dropRedisPrefix(prefix));
      return { kind: 'redis', prefix };
    },
  },
  {
    name: 'PostgreSQL tables (no Redis)',
    available: hasPostgres,
    make: () => {
      const schema = uniqueName('engram_test_telemetry');
      cleanups.push(() => dropSchema(schema));
      return { kind: 'postgres', schema, leaseMs: CLAIM_IDLE_MS };
    },
  },
];

async function setUp(
  make: () => BackendSpec,
): Promise<{ spec: BackendSpec; backend: TelemetryBackend; service: TelemetryService }> {
  const spec = make();
  const backend = await openTelemetryBackend(spec);
  cleanups.push(() => backend.close());
  const service = createTelemetryService({
    stream: backend.stream,
    metrics: backend.metrics,
    clock: systemClock,
    batchMaxEvents: 1000,
  });
  return { spec, backend, service };
}

for (const { name, available, make } of backends) {
  describe.skipIf(!available)(`telemetry end to end — ${name}`, () => {
    it('three worker processes fold one stream: every count exact, every quantile within the bound', async () => {
      const { spec, service } = await setUp(make);
      const { events, expected } = generateEvents(3000, {
        seed: 7,
        nowMs: Date.now(),
        spanMs: 30 * 60_000,
        prefix: 'e',
      });
      // A client retry resends a batch: same event ids, which must count once.
      const batches = [
        events.slice(0, 1000),
        events.slice(1000, 2000),
        events.slice(2000),
        events.slice(500, 900),
      ];
      const workers = [spawnWorker(spec, 'w1'), spawnWorker(spec, 'w2'), spawnWorker(spec, 'w3')];
      await Promise.all(workers.map((worker) => worker.waitFor('ready')));
      for (const batch of batches)
        expect((await service.ingest('default', batch)).rejected).toEqual([]);

      const summary = await until(
        () => service.summary('default', { window: '1h' }),
        (s) => s.events >= expected.events,
      );
      // Let every worker finish its last batch, then read once more: nothing may be counted twice.
      await until(
        () => service.streamStats(),
        (stats) => stats.pending === 0,
      );
      const final = await service.summary('default', { window: '1h' });
      expect(final.events).toBe(expected.events);
      expect(summary.events).toBe(expected.events);
      expect(final.modelCalls.count).toBe(expected.modelCalls);
      expect(final.modelCalls.inputTokens).toBe(expected.inputTokens);
      expect(final.modelCalls.outputTokens).toBe(expected.outputTokens);
      expect(final.suggestions).toMatchObject({
        shown: expected.shown,
        accepted: expected.accepted,
        rejected: expected.rejected,
      });
      expect(final.suggestions.acceptanceRate).toBeCloseTo(
        expected.accepted / (expected.accepted + expected.rejected),
        12,
      );
      expect(final.tools.calls).toBe(expected.toolCalls);
      expect(final.tools.successes).toBe(expected.toolSuccesses);
      for (const tool of final.tools.byTool) {
        expect({ calls: tool.calls, successes: tool.successes }).toEqual(
          expected.byTool[tool.tool],
        );
      }
      expect(final.sessions.started).toBe(expected.sessionsStarted);
      expect(final.sessions.ended).toBe(expected.sessionsEnded);
      expect(final.sessions.meanDurationMs).toBe(60_000);
      for (const [q, key] of [
        [0.5, 'p50'],
        [0.95, 'p95'],
        [0.99, 'p99'],
      ] as const) {
        within(final.modelCalls.latencyMs[key], exactQuantile(expected.modelLatencies, q));
        within(final.tools.durationMs[key], exactQuantile(expected.toolDurations, q));
      }
      expect(final.modelCalls.latencyMs.max).toBe(Math.max(...expected.modelLatencies));
      expect(final.relativeError).toBe(ALPHA);
    });

    it('dead-letters a poison entry after 3 deliveries with its error; replay delivers it again', async () => {
      const { spec, backend, service } = await setUp(make);
      const [poisonId] = await backend.stream.append([
        { tenantId: 'default', payload: '{"type":"tool_call","eventId":"p1"}' },
      ]);
      await service.ingest('default', [
        { type: 'session_start', eventId: 'ok-1', ts: Date.now(), sessionId: 's', agentId: 'a' },
      ]);
      spawnWorker(spec, 'w1');
      spawnWorker(spec, 'w2');
      const dead = await until(
        () => listDead(service, 'default'),
        (list) => list.length > 0,
      );
      expect(dead).toHaveLength(1);
      expect(dead[0]).toMatchObject({ originalId: poisonId, deliveries: 3, tenantId: 'default' });
      expect(dead[0]!.error).toMatch(/^invalid event: /);
      expect(dead[0]!.failedAt).toBeGreaterThan(0);
      expect((await service.summary('default', { window: '5m' })).events).toBe(1);
      expect(await listDead(service, 'other-tenant')).toEqual([]);

      expect(await service.replayDeadLetters('default', [dead[0]!.id])).toBe(1);
      expect(await listDead(service, 'default')).toEqual([]);
      // Still poison: it is delivered again three times and comes back with a fresh original id.
      const again = await until(
        () => listDead(service, 'default'),
        (list) => list.length > 0,
      );
      expect(again).toHaveLength(1);
      expect(again[0]!.originalId).not.toBe(poisonId);
      expect(again[0]!.deliveries).toBe(3);
    });

    it('a worker SIGKILLed between fold and ack: nothing lost, nothing counted twice', async () => {
      const { spec, service } = await setUp(make);
      const { events, expected } = generateEvents(1200, {
        seed: 11,
        nowMs: Date.now(),
        spanMs: 20 * 60_000,
        prefix: 'k',
      });
      await service.ingest('default', events.slice(0, 600));
      await service.ingest('default', events.slice(600));
      const victim = spawnWorker(spec, 'victim', { ackDelayMs: 60_000, batchSize: 300 });
      await victim.waitFor('unacked');
      const exited = new Promise((resolve) => victim.child.once('exit', resolve));
      victim.child.kill('SIGKILL');
      await exited;
      const folded = await service.summary('default', { window: '1h' });
      expect(folded.events).toBeGreaterThan(0);
      expect(folded.events).toBeLessThan(expected.events);

      spawnWorker(spec, 'rescuer-1');
      spawnWorker(spec, 'rescuer-2');
      await until(
        () => service.summary('default', { window: '1h' }),
        (s) => s.events >= expected.events,
      );
      await until(
        () => service.streamStats(),
        (stats) => stats.pending === 0,
      );
      const final = await service.summary('default', { window: '1h' });
      expect(final.events).toBe(expected.events);
      expect(final.modelCalls.count).toBe(expected.modelCalls);
      expect(final.tools.calls).toBe(expected.toolCalls);
      expect(final.suggestions.accepted).toBe(expected.accepted);
      expect((await service.streamStats()).pending).toBe(0);
    });

    it('rejects an invalid event alone, with its reason, and keeps the rest', async () => {
      const { backend, service } = await setUp(make);
      const now = Date.now();
      const result = await service.ingest('default', [
        {
          type: 'tool_call',
          eventId: 'a',
          ts: now,
          sessionId: 's',
          agentId: 'x',
          tool: 'grep',
          success: true,
          durationMs: 12,
        },
        {
          type: 'tool_call',
          eventId: 'b',
          ts: now,
          sessionId: 's',
          agentId: 'x',
          tool: 'grep',
          success: 'yes',
          durationMs: 12,
        },
        { type: 'teleport', eventId: 'c', ts: now, sessionId: 's', agentId: 'x' },
        {
          type: 'suggestion',
          eventId: 'd',
          ts: new Date(now).toISOString(),
          sessionId: 's',
          agentId: 'x',
          action: 'accepted',
        },
      ]);
      expect(result.accepted).toBe(2);
      expect(result.rejected).toHaveLength(2);
      expect(result.rejected[0]).toMatchObject({ index: 1, code: 'VALIDATION_FAILED' });
      expect(result.rejected[0]!.message).toMatch(/^success: /);
      expect(result.rejected[1]).toMatchObject({ index: 2, code: 'VALIDATION_FAILED' });
      expect(result.rejected[1]!.message).toMatch(/^type: /);
      const consumer = createTelemetryConsumer({
        stream: backend.stream,
        metrics: backend.metrics,
        consumerName: 'inline',
        logger: createSilentLogger(),
        claimIdleMs: CLAIM_IDLE_MS,
        maxDeliveries: 3,
      });
      await consumer.drainOnce();
      const summary = await service.summary('default', { window: '5m' });
      expect(summary.tools.calls).toBe(1);
      expect(summary.suggestions.accepted).toBe(1);
    });

    it('replays a valid event dead-lettered while the metric store failed, and counts it once', async () => {
      const { backend, service } = await setUp(make);
      const failing: MetricStore = {
        ...backend.metrics,
        fold: async () => {
          throw new Error('metric store unavailable');
        },
      };
      const events = [0, 1].map((i) => ({
        type: 'suggestion' as const,
        eventId: `r${i}`,
        ts: Date.now(),
        sessionId: 's',
        agentId: 'x',
        action: 'accepted' as const,
      }));
      await service.ingest('default', events);
      const broken = createTelemetryConsumer({
        stream: backend.stream,
        metrics: failing,
        consumerName: 'broken',
        logger: createSilentLogger(),
        claimIdleMs: 100,
        maxDeliveries: 3,
      });
      broken.start();
      const dead = await until(
        () => listDead(service, 'default'),
        (list) => list.length === 2,
      );
      await broken.stop();
      expect(dead.map((d) => d.error)).toEqual([
        'metric store unavailable',
        'metric store unavailable',
      ]);

      expect(await service.replayDeadLetters('default')).toBe(2);
      // A client retry of the same events arrives too; each event still counts once.
      await service.ingest('default', events);
      const healthy = createTelemetryConsumer({
        stream: backend.stream,
        metrics: backend.metrics,
        consumerName: 'healthy',
        logger: createSilentLogger(),
        claimIdleMs: 100,
        maxDeliveries: 3,
      });
      await healthy.drainOnce();
      expect(healthy.counters).toMatchObject({ folded: 2, duplicates: 2 });
      expect((await service.summary('default', { window: '5m' })).suggestions.accepted).toBe(2);
      expect(await listDead(service, 'default')).toEqual([]);
    });
  });
}

describe('telemetry windows', () => {
  it('reads only the window asked for', async () => {
    const clock = createManualClock(Date.UTC(2026, 0, 1, 12));
    const backend = await openTempSqliteTelemetry();
    cleanups.push(() => backend.close());
    const service = createTelemetryService({
      stream: backend.stream,
      metrics: backend.metrics,
      clock,
      batchMaxEvents: 10,
    });
    const at = (minutesAgo: number, id: string) => ({
      type: 'tool_call' as const,
      eventId: id,
      ts: clock.now() - minutesAgo * 60_000,
      sessionId: 's',
      agentId: 'x',
      tool: 'grep',
      success: true,
      durationMs: 5,
    });
    await service.ingest('default', [at(1, 'a'), at(30, 'b'), at(600, 'c')]);
    const consumer = createTelemetryConsumer({
      stream: backend.stream,
      metrics: backend.metrics,
      consumerName: 'c',
      logger: createSilentLogger(),
      claimIdleMs: 1000,
      maxDeliveries: 3,
    });
    await consumer.drainOnce();
    expect((await service.summary('default', { window: '5m' })).tools.calls).toBe(1);
    expect((await service.summary('default', { window: '1h' })).tools.calls).toBe(2);
    expect((await service.summary('default', { window: '24h' })).tools.calls).toBe(3);
    expect((await service.summary('other', { window: '24h' })).tools.calls).toBe(0);
    const series = await service.series('default', { window: '1h', step: '5m' });
    expect(series.points.reduce((acc, p) => acc + p.toolCalls, 0)).toBe(2);
    await expect(service.ingest('default', new Array(11).fill({}))).rejects.toMatchObject({
      code: 'INPUT_TOO_LARGE',
    });
  });
});
