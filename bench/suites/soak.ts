// Soak: a real `engram serve` process (built CLI, embedded SQLite store unless
// ENGRAM_SOAK_BACKEND=distributed) driven by 100 concurrent clients for ENGRAM_SOAK_MINUTES
// (default 10) with recall, context, turns, documents and events — ever-new texts, sessions,
// users and tenants, so a day's variety passes in minutes. The clients run in
// ENGRAM_SOAK_PROCESSES (4) load processes of their own (soak-load-process.ts), so no single
// event loop of the load generator shapes the figures. Every 10 s the soak samples the server's
// RSS (/proc/PID/status), heap and request-duration histogram (/metrics); soak-report.ts turns
// them into p50/p95 per minute per operation, as the clients saw them and as the server measured
// them, and the memory slope after warm-up, checked against the goals (last minute's p95 within
// 1.5× of the second's, slope under 1 MB/min, RSS under 2 GB), and writes the per-minute table
// to bench-results/soak-*.json.
// Embeddings come from the hashing test server unless ENGRAM_SOAK_EMBEDDER=local (the real
// model: far slower, so fewer requests). Settings: ENGRAM_SOAK_CLIENTS (100), ENGRAM_SOAK_RPM
// (paced requests per minute across all clients, default 1200), ENGRAM_SOAK_TENANTS (40). Once a
// minute every client also sends a recall at the same moment (`burst`: 100 concurrent recalls).
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  dropRedisPrefix,
  dropSchema,
  POSTGRES_URL,
  REDIS_URL,
  uniqueName,
} from '../../test/support/backends.js';
import { collect, freePort, spawnCli, waitForHttp } from '../../test/support/cli.js';
import { startHashingEmbeddingServer } from '../../test/support/hashing-embedding-server.js';
import { type BenchContext, type BenchSuite, type Measurement } from '../harness.js';
import { parseDurationHistogram, type HistogramScrape } from './server-latency.js';
import type { LoadAssignment, LoadResult } from './soak-load-process.js';
import { tenantKeys } from './soak-load.js';
import {
  MB,
  report,
  SAMPLE_EVERY_MS,
  type ServerSample,
  type SoakSettings,
} from './soak-report.js';

const LOAD_PROCESS = fileURLToPath(new URL('./soak-load-process.ts', import.meta.url));

function settingsFrom(env: NodeJS.ProcessEnv, quick: boolean): SoakSettings {
  const number = (name: string, fallback: number) => {
    const value = Number(env[name] ?? fallback);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
    return value;
  };
  const clients = Math.round(number('ENGRAM_SOAK_CLIENTS', 100));
  return {
    minutes: number('ENGRAM_SOAK_MINUTES', quick ? 3 : 10),
    clients,
    processes: Math.min(clients, Math.round(number('ENGRAM_SOAK_PROCESSES', 4))),
    requestsPerMinute: number('ENGRAM_SOAK_RPM', 1200),
    tenants: Math.round(number('ENGRAM_SOAK_TENANTS', 40)),
    distributed: env.ENGRAM_SOAK_BACKEND === 'distributed',
    localEmbedder: env.ENGRAM_SOAK_EMBEDDER === 'local',
  };
}

function readRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+)\s+kB/.exec(status);
  return match === null ? Number.NaN : Number(match[1]) * 1024;
}

/** The token the soak's server is given for /metrics (closed without it once API keys are set). */
const METRICS_TOKEN = 'soak-metrics-token-0123456789';

/** The server's heap and request-duration histogram, from one scrape of /metrics. */
async function readServerMetrics(
  baseUrl: string,
): Promise<{ heapUsedBytes: number; durations?: HistogramScrape }> {
  try {
    const response = await fetch(`${baseUrl}/metrics`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    const text = await response.text();
    const match = /^nodejs_heap_size_used_bytes(?:\{[^}]*\})? ([0-9.e+]+)$/m.exec(text);
    return {
      heapUsedBytes: match === null ? Number.NaN : Number(match[1]),
      durations: parseDurationHistogram(text),
    };
  } catch {
    return { heapUsedBytes: Number.NaN };
  }
}

/** Starts the load processes; resolves once each has loaded and said so. */
async function startLoadProcesses(count: number): Promise<ChildProcess[]> {
  return Promise.all(
    Array.from({ length: count }, (_, p) => {
      const child = fork(LOAD_PROCESS, [], { execArgv: process.execArgv, stdio: 'inherit' });
      return new Promise<ChildProcess>((resolve, reject) => {
        child.once('message', () => resolve(child));
        child.once('exit', (code) => reject(new Error(`load process ${p} exited with ${code}`)));
      });
    }),
  );
}

/** Runs clients [first, first + count) in each load process; resolves with all their samples. */
async function runLoad(
  children: ChildProcess[],
  settings: SoakSettings,
  timing: Omit<LoadAssignment, 'first' | 'count' | 'tenants'>,
): Promise<LoadResult> {
  const perProcess = Math.ceil(settings.clients / children.length);
  const results = await Promise.all(
    children.map((child, p) => {
      const first = p * perProcess;
      const count = Math.max(0, Math.min(perProcess, settings.clients - first));
      return new Promise<LoadResult>((resolve, reject) => {
        let result: LoadResult | undefined;
        child.once('message', (message) => (result = message as LoadResult));
        child.once('exit', (code) =>
          result === undefined
            ? reject(new Error(`load process ${p} exited with ${code} before reporting`))
            : resolve(result),
        );
        child.send({ ...timing, first, count, tenants: settings.tenants } satisfies LoadAssignment);
      });
    }),
  );
  const errors = new Map<string, number>();
  for (const [error, count] of results.flatMap((r) => r.errors))
    errors.set(error, (errors.get(error) ?? 0) + count);
  return { samples: results.flatMap((r) => r.samples), errors: [...errors] };
}

async function soak(context: BenchContext): Promise<Measurement[]> {
  const settings = settingsFrom(process.env, context.quick);
  const keys = tenantKeys(settings.tenants);
  const dataDir = mkdtempSync(join(tmpdir(), 'engram-soak-'));
  const schema = uniqueName('soak');
  const redisPrefix = `${uniqueName('soak')}:`;
  const embedder = settings.localEmbedder ? undefined : await startHashingEmbeddingServer();
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const server = spawnCli(['serve'], {
    ENGRAM_PORT: String(port),
    ENGRAM_DATA_DIR: dataDir,
    ENGRAM_LOG_LEVEL: 'warn',
    ENGRAM_API_KEYS: keys.map(({ key, tenant }) => `${key}:${tenant}`).join(','),
    ENGRAM_METRICS_TOKEN: METRICS_TOKEN,
    // The soak measures steady-state behaviour, not the rate limiter.
    ENGRAM_RATE_LIMIT_PER_MINUTE: '0',
    ...(settings.distributed
      ? {
          ENGRAM_DATABASE_URL: POSTGRES_URL,
          ENGRAM_DATABASE_SCHEMA: schema,
          ENGRAM_REDIS_URL: REDIS_URL,
          ENGRAM_REDIS_KEY_PREFIX: redisPrefix,
        }
      : {}),
    ...(embedder?.env ?? {}),
  });
  const finished = collect(server);
  const pid = server.pid!;
  const serverSamples: ServerSample[] = [];
  let load: LoadResult = { samples: [], errors: [] };
  let children: ChildProcess[] = [];
  try {
    await waitForHttp(`${baseUrl}/health`, 600);
    context.log(
      `engram serve pid ${pid} (${settings.distributed ? 'PostgreSQL + Redis' : 'SQLite'}, ` +
        `${settings.localEmbedder ? 'local model' : 'hashing embeddings'}): ${settings.clients} clients ` +
        `in ${settings.processes} processes, ${settings.requestsPerMinute} requests/min, ` +
        `${settings.tenants} tenants, ${settings.minutes} min`,
    );
    children = await startLoadProcesses(settings.processes);
    // All load processes are loaded: they start together, half a second from now.
    const startedAt = Date.now() + 500;
    const endsAt = startedAt + settings.minutes * 60_000;
    const sampleServer = async () => {
      const atMs = Date.now() - startedAt;
      const rssBytes = readRssBytes(pid);
      serverSamples.push({ atMs, rssBytes, ...(await readServerMetrics(baseUrl)) });
    };
    await sampleServer();
    let lastLogged = 0;
    const sampler = setInterval(() => {
      void sampleServer().then(() => {
        const minute = Math.floor((Date.now() - startedAt) / 60_000);
        if (minute > lastLogged) {
          lastLogged = minute;
          const last = serverSamples[serverSamples.length - 1]!;
          context.log(
            `minute ${minute}: RSS ${(last.rssBytes / MB).toFixed(0)} MB, ` +
              `heap ${(last.heapUsedBytes / MB).toFixed(0)} MB`,
          );
        }
      });
    }, SAMPLE_EVERY_MS);
    const intervalMs = (60_000 * settings.clients) / settings.requestsPerMinute;
    try {
      load = await runLoad(children, settings, { baseUrl, intervalMs, startedAt, endsAt });
    } finally {
      clearInterval(sampler);
    }
    await sampleServer();
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill();
    server.kill('SIGTERM');
    const exit = await finished;
    if (exit.code !== 0) context.log(`engram serve exited with ${exit.code ?? exit.signal}`);
    await embedder?.close();
    rmSync(dataDir, { recursive: true, force: true });
    if (settings.distributed) {
      await dropSchema(schema);
      await dropRedisPrefix(redisPrefix);
    }
  }
  return report(settings, load.samples, serverSamples, new Map(load.errors), context);
}

export const soakSuite: BenchSuite = {
  name: 'soak',
  description:
    '100 clients in 4 load processes × recall, context, turns, documents, events against `engram serve` for ENGRAM_SOAK_MINUTES (10): client- and server-side p50/p95 per minute, RSS/heap slope',
  // Ten minutes: only `npm run bench -- soak` runs it.
  onlyWhenNamed: true,
  run: soak,
};
