// Telemetry throughput end to end: POST /v1/events over real HTTP → stream → worker processes
// fold → the summary shows every event. Distributed: API in this process (role api) + two
// `engram worker` processes on Redis; beside it, redis-benchmark's XADD rate measured in the
// same run as the ceiling. Embedded: one `engram serve`-like runtime (SQLite, in-process consumers).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { loadConfig } from '../../src/config/load-config.js';
import { createSilentLogger } from '../../src/domain/logger.js';
import { buildApp } from '../../src/http/app.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { REDIS_URL, dropRedisPrefix } from '../../test/support/backends.js';
import { CLI_PATH } from '../../test/support/cli.js';
import { generateEvents } from '../../test/telemetry/generate.js';
import type { BenchContext, BenchSuite, Measurement } from '../harness.js';
const BATCH = 1000;
const CLIENTS = 4;

interface RunResult {
  rate: number;
  events: number;
  seconds: number;
  postRate: number;
}

function batchesOf(count: number, runId: string): string[] {
  // Live traffic: event times within the last minute or so (sessions end 60 s after they start).
  const { events } = generateEvents(count, {
    seed: 42,
    nowMs: Date.now(),
    spanMs: 3 * 60_000,
    prefix: runId,
  });
  const bodies: string[] = [];
  for (let i = 0; i < events.length; i += BATCH)
    bodies.push(JSON.stringify({ events: events.slice(i, i + BATCH) }));
  return bodies;
}

/** Posts `bodies` (holding `count` new events) and waits until the summary shows `expectedFolded`. */
async function drive(
  url: string,
  runtime: Runtime,
  bodies: string[],
  count: number,
  expectedFolded: number,
  log: (m: string) => void,
): Promise<RunResult> {
  const start = performance.now();
  let next = 0;
  let accepted = 0;
  const clients = Array.from({ length: CLIENTS }, async () => {
    while (next < bodies.length) {
      const body = bodies[next++]!;
      const response = await fetch(`${url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      const answer = (await response.json()) as { accepted: number; rejected: unknown[] };
      if (response.status !== 202 || answer.rejected.length > 0)
        throw new Error(`POST /v1/events → ${response.status}`);
      accepted += answer.accepted;
    }
  });
  await Promise.all(clients);
  const posted = performance.now();
  let folded = 0;
  const deadline = Date.now() + 300_000;
  while (folded < expectedFolded && Date.now() < deadline) {
    folded = (await runtime.telemetry.summary('default', { window: '1h' })).events;
    if (folded < expectedFolded) await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  const seconds = (performance.now() - start) / 1000;
  log(
    `${accepted} accepted, ${folded} folded in ${seconds.toFixed(1)} s (POSTs done at ${((posted - start) / 1000).toFixed(1)} s)`,
  );
  if (folded !== expectedFolded)
    throw new Error(`expected ${expectedFolded} folded events, found ${folded}`);
  return {
    rate: count / seconds,
    events: count,
    seconds,
    postRate: count / ((posted - start) / 1000),
  };
}

async function startApi(
  env: Record<string, string>,
  background: boolean,
): Promise<{ runtime: Runtime; url: string; close(): Promise<void> }> {
  const config = loadConfig({ env: { ENGRAM_LOG_LEVEL: 'silent', ...env } });
  const runtime = await createRuntime(config, { logger: createSilentLogger() });
  const app = await buildApp(runtime);
  if (background) runtime.startBackground();
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    runtime,
    url,
    close: async () => {
      await app.close();
      await runtime.close();
    },
  };
}

function startWorker(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [CLI_PATH, 'worker'], {
    env: { ...process.env, ENGRAM_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

async function stopWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

function xaddCeiling(key: string, requests: number, pipeline: number): number {
  const payload = JSON.stringify(
    (JSON.parse(batchesOf(1, 'ceiling')[0]!) as { events: unknown[] }).events[0],
  );
  const out = execFileSync(
    'redis-benchmark',
    [
      '-u',
      REDIS_URL,
      '-q',
      '-n',
      String(requests),
      '-c',
      '50',
      '-P',
      String(pipeline),
      'XADD',
      key,
      'MAXLEN',
      '~',
      '1000000',
      '*',
      't',
      'default',
      'e',
      payload,
    ],
    { encoding: 'utf8' },
  );
  const match = /([\d.]+) requests per second/.exec(out);
  if (match === null) throw new Error(`unexpected redis-benchmark output: ${out}`);
  return Number(match[1]);
}

async function distributed(context: BenchContext, total: number): Promise<Measurement[]> {
  const prefix = `engram_bench_telemetry_${process.pid}:`;
  const dataDir = mkdtempSync(join(tmpdir(), 'engram-bench-telemetry-'));
  const admin = new Redis(REDIS_URL);
  const env = {
    ENGRAM_REDIS_URL: REDIS_URL,
    ENGRAM_REDIS_KEY_PREFIX: prefix,
    ENGRAM_DATA_DIR: dataDir,
    ENGRAM_RATE_LIMIT_PER_MINUTE: '0',
    ENGRAM_REDIS_COMMAND_TIMEOUT_MS: '10000',
  };
  const ceilingKey = `${prefix}ceiling`;
  const workers: ChildProcess[] = [];
  let api: Awaited<ReturnType<typeof startApi>> | undefined;
  try {
    const ceiling = xaddCeiling(ceilingKey, context.quick ? 50_000 : 200_000, 100);
    const unpipelined = xaddCeiling(ceilingKey, context.quick ? 20_000 : 100_000, 1);
    await admin.del(ceilingKey);
    context.log(
      `redis-benchmark XADD: ${ceiling.toFixed(0)}/s pipelined (-P 100), ${unpipelined.toFixed(0)}/s unpipelined`,
    );
    api = await startApi(env, false);
    workers.push(startWorker(env), startWorker(env));
    // Warm up: workers connected and consuming, JIT warm.
    const warm = batchesOf(2000, `warm-${Date.now()}`);
    await drive(api.url, api.runtime, warm, 2000, 2000, (m) => context.log(m));
    const bodies = batchesOf(total, `run-${Date.now()}`);
    const result = await drive(api.url, api.runtime, bodies, total, total + 2000, (m) =>
      context.log(m),
    );
    return [
      {
        name: 'redis: POST /v1/events → folded (API + 2 worker processes)',
        unit: 'events/s',
        value: result.rate,
        baseline: { name: 'redis-benchmark XADD -P 100', value: ceiling },
        note: `${total} events in batches of ${BATCH}, ${CLIENTS} clients; POST alone ${result.postRate.toFixed(0)}/s; XADD unpipelined ${unpipelined.toFixed(0)}/s; all counted once`,
      },
    ];
  } finally {
    await Promise.all(workers.map(stopWorker));
    await api?.close();
    await dropRedisPrefix(prefix);
    admin.disconnect();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function embedded(context: BenchContext, total: number): Promise<Measurement[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'engram-bench-telemetry-'));
  const api = await startApi({ ENGRAM_DATA_DIR: dataDir, ENGRAM_RATE_LIMIT_PER_MINUTE: '0' }, true);
  try {
    await drive(api.url, api.runtime, batchesOf(2000, `warm-${Date.now()}`), 2000, 2000, (m) =>
      context.log(m),
    );
    const result = await drive(
      api.url,
      api.runtime,
      batchesOf(total, `run-${Date.now()}`),
      total,
      total + 2000,
      (m) => context.log(m),
    );
    return [
      {
        name: 'embedded: POST /v1/events → folded (SQLite, in-process consumer)',
        unit: 'events/s',
        value: result.rate,
        note: `${total} events in batches of ${BATCH}, ${CLIENTS} clients; POST alone ${result.postRate.toFixed(0)}/s; all counted once`,
      },
    ];
  } finally {
    await api.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export const telemetrySuite: BenchSuite = {
  name: 'telemetry',
  description:
    'events/s end to end (POST → folded metrics): Redis + 2 worker processes vs the XADD ceiling; embedded',
  async run(context) {
    const total = context.quick ? 20_000 : 200_000;
    context.log(
      `load average before the run: ${(await import('node:os'))
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} on ${(await import('node:os')).cpus().length} cores`,
    );
    return [...(await distributed(context, total)), ...(await embedded(context, total))];
  },
};
