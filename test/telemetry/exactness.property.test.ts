// The exactness promise as a property, on SQLite, PostgreSQL and Redis: any interleaving of
// deliveries, client resends, re-stamped retries (same eventId, later ts), consumers that read a
// batch and die before folding, and consumers that fold and die before acknowledging — followed
// by other consumers claiming what the dead ones held — folds to the same figures as one clean
// delivery of each distinct event. Runs are bounded: a few dozen cases per backend.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { openPostgres } from '../../src/adapters/postgres/database.js';
import { createPostgresTelemetry } from '../../src/adapters/postgres/telemetry-ports.js';
import { openSqliteTelemetry } from '../../src/adapters/sqlite/telemetry-ports.js';
import { createManualClock, systemClock, type Clock } from '../../src/domain/clock.js';
import { createSilentLogger } from '../../src/domain/logger.js';
import type { EventStream } from '../../src/ports/event-stream.js';
import type { MetricStore } from '../../src/ports/metric-store.js';
import { createTelemetryConsumer } from '../../src/telemetry/consumer.js';
import { parseEvent, type TelemetryEventInput } from '../../src/telemetry/events.js';
import { foldOf } from '../../src/telemetry/fold-ops.js';
import { createTelemetryService, type TelemetryService } from '../../src/telemetry/service.js';
import { QuantileSketch } from '../../src/telemetry/sketch.js';
import {
  dropRedisPrefix,
  dropSchema,
  POSTGRES_URL,
  postgresAvailable,
  redisAvailable,
  uniqueName,
} from '../support/backends.js';
import { openTelemetryBackend } from './backends.js';

const hasRedis = await redisAvailable();
const hasPostgres = await postgresAvailable();
const LEASE_MS = 100;
const RUNS = 25;
const cleanups: Array<() => Promise<void>> = [];

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Ports {
  stream: EventStream;
  metrics: MetricStore;
  /** Lets leases of dead consumers run out (SQL: the manual clock; Redis: idle 0). */
  expireLeases(): void;
  claimIdleMs: number;
  clock: Clock;
}

const backends: Array<{ name: string; available: boolean; open: () => Promise<Ports> }> = [
  {
    name: 'SQLite',
    available: true,
    open: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'engram-exactness-'));
      const clock = createManualClock(Date.now());
      const ports = openSqliteTelemetry({ path: join(dir, 'e.db'), clock, leaseMs: LEASE_MS });
      cleanups.push(async () => {
        await ports.close();
        rmSync(dir, { recursive: true, force: true });
      });
      return {
        ...ports,
        clock,
        claimIdleMs: LEASE_MS,
        expireLeases: () => clock.advance(LEASE_MS),
      };
    },
  },
  {
    name: 'PostgreSQL',
    available: hasPostgres,
    open: async () => {
      const schema = uniqueName('engram_test_exactness');
      const clock = createManualClock(Date.now());
      const database = await openPostgres({ url: POSTGRES_URL, schema, poolMax: 2 });
      const ports = createPostgresTelemetry(database.pool, { clock, leaseMs: LEASE_MS });
      cleanups.push(async () => {
        await ports.close();
        await database.close();
        await dropSchema(schema);
      });
      return {
        ...ports,
        clock,
        claimIdleMs: LEASE_MS,
        expireLeases: () => clock.advance(LEASE_MS),
      };
    },
  },
  {
    name: 'Redis',
    available: hasRedis,
    open: async () => {
      const prefix = `${uniqueName('engram_test_exactness')}:`;
      const backend = await openTelemetryBackend({ kind: 'redis', prefix });
      cleanups.push(async () => {
        await backend.close();
        await dropRedisPrefix(prefix);
      });
      // XAUTOCLAIM with min-idle 0 takes over whatever a dead consumer holds.
      return { ...backend, clock: systemClock, claimIdleMs: 0, expireLeases: () => {} };
    },
  },
];

type Action =
  | { kind: 'send'; i: number }
  | { kind: 'restamp'; i: number; laterMinutes: number }
  | { kind: 'dieAfterRead'; count: number }
  | { kind: 'dieAfterFold'; count: number }
  | { kind: 'drain' };

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constant('send' as const), i: fc.nat() }),
  fc.record({
    kind: fc.constant('restamp' as const),
    i: fc.nat(),
    laterMinutes: fc.integer({ min: 1, max: 20 }),
  }),
  fc.record({ kind: fc.constant('dieAfterRead' as const), count: fc.integer({ min: 1, max: 6 }) }),
  fc.record({ kind: fc.constant('dieAfterFold' as const), count: fc.integer({ min: 1, max: 6 }) }),
  fc.constant({ kind: 'drain' as const }),
);

// Integer values, so sums are exact in any order of addition.
const eventShape = fc.oneof(
  fc.record({
    type: fc.constant('model_call' as const),
    model: fc.constant('m'),
    latencyMs: fc.integer({ min: 0, max: 100_000 }),
    inputTokens: fc.integer({ min: 0, max: 5000 }),
    outputTokens: fc.integer({ min: 0, max: 5000 }),
    success: fc.boolean(),
  }),
  fc.record({
    type: fc.constant('tool_call' as const),
    tool: fc.constantFrom('grep', 'edit', 'run'),
    success: fc.boolean(),
    durationMs: fc.integer({ min: 0, max: 100_000 }),
  }),
  fc.record({
    type: fc.constant('suggestion' as const),
    action: fc.constantFrom('shown' as const, 'accepted' as const, 'rejected' as const),
    latencyMs: fc.integer({ min: 0, max: 10_000 }),
  }),
);

const sketch = new QuantileSketch();

for (const { name, available, open } of backends) {
  describe.skipIf(!available)(`exactly once under any interleaving — ${name}`, () => {
    it('folds to the figures of one clean delivery', async () => {
      const ports = await open();
      const service: TelemetryService = createTelemetryService({
        stream: ports.stream,
        metrics: ports.metrics,
        clock: ports.clock,
        batchMaxEvents: 1000,
      });
      const consumer = () =>
        createTelemetryConsumer({
          stream: ports.stream,
          metrics: ports.metrics,
          consumerName: uniqueName('healthy'),
          logger: createSilentLogger(),
          batchSize: 4,
          claimIdleMs: ports.claimIdleMs,
          maxDeliveries: 1000,
        });
      async function drain(): Promise<void> {
        ports.expireLeases();
        await consumer().drainOnce();
      }
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(eventShape, { minLength: 1, maxLength: 8 }),
          fc.array(action, { maxLength: 14 }),
          async (shapes, actions) => {
            run += 1;
            const tenant = `chaos-${run}`;
            const base = ports.clock.now() - 40 * 60_000;
            const events: TelemetryEventInput[] = shapes.map((shape, i) => ({
              ...shape,
              eventId: `e${i}`,
              ts: base + i,
              sessionId: 's',
              agentId: 'a',
            }));
            const sent = new Set<number>();
            for (const step of actions) {
              switch (step.kind) {
                case 'send': {
                  const i = step.i % events.length;
                  sent.add(i);
                  await service.ingest(tenant, [events[i]!]);
                  break;
                }
                case 'restamp': {
                  const i = step.i % events.length;
                  sent.add(i);
                  const later = { ...events[i]!, ts: base + i + step.laterMinutes * 60_000 };
                  await service.ingest(tenant, [later]);
                  break;
                }
                case 'dieAfterRead':
                  await ports.stream.read(uniqueName('dead'), { count: step.count, blockMs: 0 });
                  break;
                case 'dieAfterFold': {
                  const entries = await ports.stream.read(uniqueName('dead'), {
                    count: step.count,
                    blockMs: 0,
                  });
                  const folds = entries.map((entry) => {
                    const parsed = parseEvent(JSON.parse(entry.payload));
                    if (!parsed.ok) throw new Error(parsed.message);
                    return foldOf(entry.tenantId, parsed.event, sketch);
                  });
                  await ports.metrics.fold(folds);
                  break;
                }
                case 'drain':
                  await drain();
                  break;
              }
            }
            // Whatever is left — undelivered, or held by dead consumers — is claimed and folded.
            await drain();
            expect(await service.streamStats()).toMatchObject({ length: 0, pending: 0 });

            const clean = `clean-${run}`;
            await service.ingest(
              clean,
              [...sent].map((i) => events[i]!),
            );
            await drain();
            const [chaos, once] = await Promise.all([
              service.summary(tenant, { window: '1h' }),
              service.summary(clean, { window: '1h' }),
            ]);
            expect(chaos).toEqual(once);
            expect(chaos.events).toBe(sent.size);
          },
        ),
        { numRuns: RUNS },
      );
      expect(run).toBe(RUNS);
    });
  });
}
