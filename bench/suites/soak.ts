// Soak: a real `engram serve` process (built CLI, embedded SQLite store unless
// ENGRAM_SOAK_BACKEND=distributed) driven by 100 concurrent clients for ENGRAM_SOAK_MINUTES
// (default 10) with recall, context, turns, documents and events — ever-new texts, sessions,
// users and tenants, so a day's variety passes in minutes. It samples the server's RSS
// (/proc/PID/status) and heap (/metrics) every 10 s; soak-report.ts turns the samples into p50/p95
// per minute per operation and the memory slope after warm-up, checked against the goals (last
// minute's p95 within 1.5× of the second's, slope under 1 MB/min, RSS under 2 GB), and writes
// the per-minute table to bench-results/soak-*.json.
// Embeddings come from the hashing test server unless ENGRAM_SOAK_EMBEDDER=local (the real
// model: far slower, so fewer requests). Settings: ENGRAM_SOAK_CLIENTS (100), ENGRAM_SOAK_RPM
// (paced requests per minute across all clients, default 1200), ENGRAM_SOAK_TENANTS (40). Once a
// minute every client also sends a recall at the same moment (`burst`: 100 concurrent recalls).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  dropRedisPrefix,
  dropSchema,
  POSTGRES_URL,
  REDIS_URL,
  uniqueName,
} from '../../test/support/backends.js';
import { collect, freePort, spawnCli, waitForHttp } from '../../test/support/cli.js';
import { startHashingEmbeddingServer } from '../../test/support/hashing-embedding-server.js';
import {
  prng,
  quantile,
  type BenchContext,
  type BenchSuite,
  type Measurement,
} from '../harness.js';
import {
  MB,
  OPERATIONS,
  report,
  SAMPLE_EVERY_MS,
  type MemorySample,
  type Operation,
  type Sample,
  type SoakSettings,
} from './soak-report.js';

/** Share of the paced requests per operation. */
const MIX: Record<(typeof OPERATIONS)[number], number> = {
  recall: 0.3,
  context: 0.2,
  turns: 0.2,
  documents: 0.1,
  events: 0.2,
};
function settingsFrom(env: NodeJS.ProcessEnv, quick: boolean): SoakSettings {
  const number = (name: string, fallback: number) => {
    const value = Number(env[name] ?? fallback);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
    return value;
  };
  return {
    minutes: number('ENGRAM_SOAK_MINUTES', quick ? 3 : 10),
    clients: Math.round(number('ENGRAM_SOAK_CLIENTS', 100)),
    requestsPerMinute: number('ENGRAM_SOAK_RPM', 1200),
    tenants: Math.round(number('ENGRAM_SOAK_TENANTS', 40)),
    distributed: env.ENGRAM_SOAK_BACKEND === 'distributed',
    localEmbedder: env.ENGRAM_SOAK_EMBEDDER === 'local',
  };
}

const WORDS = (
  'ledger invoice lisbon grace sister river tuesday budget migration kernel orchard violin ' +
  'harbour meeting deadline recipe garden telescope museum bicycle contract insurance ' +
  'vaccine tunnel festival library quarterly roadmap outage pager onboarding mentor ' +
  'bakery marathon glacier satellite concert passport warranty refund'
).split(' ');

/** Ever-new text: a sentence of common words plus a sequence number nobody used before. */
function textMaker(seed: number): (words: number) => string {
  const random = prng(seed);
  let sequence = 0;
  return (words) => {
    sequence += 1;
    const picked = Array.from({ length: words }, () => WORDS[Math.floor(random() * WORDS.length)]!);
    return `Note ${seed}-${sequence}: ${picked.join(' ')}.`;
  };
}

function readRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+)\s+kB/.exec(status);
  return match === null ? Number.NaN : Number(match[1]) * 1024;
}

/** The token the soak's server is given for /metrics (closed without it once API keys are set). */
const METRICS_TOKEN = 'soak-metrics-token-0123456789';

async function readHeapUsedBytes(baseUrl: string): Promise<number> {
  try {
    const response = await fetch(`${baseUrl}/metrics`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    const text = await response.text();
    const match = /^nodejs_heap_size_used_bytes(?:\{[^}]*\})? ([0-9.e+]+)$/m.exec(text);
    return match === null ? Number.NaN : Number(match[1]);
  } catch {
    return Number.NaN;
  }
}

function tenantKeys(count: number): Array<{ key: string; tenant: string }> {
  return Array.from({ length: count }, (_, i) => ({
    key: `soak-key-${String(i).padStart(4, '0')}-0123456789`,
    tenant: `soak-tenant-${i}`,
  }));
}

/** One client: a paced loop over the operation mix, with its own sessions and texts. */
async function runClient(options: {
  index: number;
  baseUrl: string;
  keys: Array<{ key: string; tenant: string }>;
  intervalMs: number;
  startedAt: number;
  endsAt: number;
  samples: Sample[];
  errors: Map<string, number>;
}): Promise<void> {
  const { index, baseUrl, keys, intervalMs, startedAt, endsAt, samples } = options;
  const random = prng(1000 + index);
  const text = textMaker(index);
  let session: { id: string; tenant: number; turns: number } | undefined;
  let userSerial = 0;
  // Spread the clients' first requests over one interval.
  let nextAt = startedAt + random() * intervalMs;
  let nextBurstAt = startedAt + 30_000;
  while (Math.min(nextAt, nextBurstAt) < endsAt) {
    const burst = nextBurstAt <= nextAt;
    const wait = (burst ? nextBurstAt : nextAt) - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    if (Date.now() >= endsAt) return;
    const minute = Math.floor((Date.now() - startedAt) / 60_000) + 1;
    // Tenants rotate each minute, so new ones keep arriving.
    const tenant = (index + minute * 7) % keys.length;
    const headers = {
      authorization: `Bearer ${keys[tenant]!.key}`,
      'content-type': 'application/json',
    };
    const userId = `user-${index}-${userSerial}`;
    let operation: Operation = 'burst';
    if (!burst) {
      operation = 'events';
      let roll = random();
      for (const name of OPERATIONS) {
        roll -= MIX[name];
        if (roll < 0) {
          operation = name;
          break;
        }
      }
    }
    const started = performance.now();
    let ok = false;
    try {
      ok = await perform(operation);
    } catch (error) {
      const key = `${operation}: ${String(error)}`.slice(0, 200);
      options.errors.set(key, (options.errors.get(key) ?? 0) + 1);
    }
    samples.push({ operation, minute, ms: performance.now() - started, ok });
    if (burst) nextBurstAt += 60_000;
    else {
      nextAt += intervalMs;
      if (nextAt < Date.now() - intervalMs) nextAt = Date.now();
    }

    async function post(path: string, body: unknown): Promise<Response> {
      const response = await fetch(`${baseUrl}${path}`, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
      });
      if (response.status >= 400) {
        const key = `${operation}: HTTP ${response.status} ${(await response.text()).slice(0, 120)}`;
        options.errors.set(key, (options.errors.get(key) ?? 0) + 1);
      }
      return response;
    }

    async function perform(name: Operation): Promise<boolean> {
      switch (name) {
        case 'turns': {
          if (session === undefined || session.turns >= 20 || session.tenant !== tenant) {
            userSerial += 1;
            const created = await post('/v1/sessions', { userId: `user-${index}-${userSerial}` });
            if (created.status !== 201) return false;
            session = { id: ((await created.json()) as { id: string }).id, tenant, turns: 0 };
          }
          const turns = Array.from({ length: 2 }, (_, i) => ({
            speaker: i === 0 ? 'user' : 'agent',
            content: text(12 + Math.floor(random() * 30)),
          }));
          session.turns += turns.length;
          const response = await post(`/v1/sessions/${session.id}/turns`, { turns });
          await response.arrayBuffer();
          return response.status === 201;
        }
        case 'burst':
        case 'recall': {
          const response = await post('/v1/recall', {
            query: text(6),
            userId: session === undefined ? userId : `user-${index}-${userSerial}`,
            k: 10,
          });
          await response.arrayBuffer();
          return response.status === 200;
        }
        case 'context': {
          const response = await post('/v1/context', {
            query: text(6),
            userId: `user-${index}-${userSerial}`,
            tokenizer: random() < 0.5 ? 'o200k_base' : 'cl100k_base',
            // Up to 4 000: larger budgets hit issue #17 item 4 on the code this was written on.
            maxTokens: 256 + Math.floor(random() * 3_744),
          });
          await response.arrayBuffer();
          return response.status === 200;
        }
        case 'documents': {
          const sections = Array.from(
            { length: 3 },
            (_, s) => `## Section ${s}\n\n${text(40)} ${text(40)}`,
          );
          const response = await post('/v1/documents', {
            content: `# ${text(4)}\n\n${sections.join('\n\n')}`,
            mimeType: 'text/markdown',
          });
          await response.arrayBuffer();
          return response.status === 202;
        }
        case 'events': {
          const now = Date.now();
          const events = Array.from({ length: 20 }, (_, i) => ({
            type: 'tool_call',
            eventId: `${index}-${now}-${i}-${Math.floor(random() * 1e9)}`,
            ts: now,
            sessionId: `s-${index}-${userSerial}`,
            agentId: `agent-${index % 10}`,
            tool: ['search', 'edit', 'run_tests', 'read_file'][i % 4]!,
            success: random() < 0.9,
            durationMs: Math.round(random() * 500),
          }));
          const response = await post('/v1/events', { events });
          await response.arrayBuffer();
          return response.status === 202;
        }
      }
    }
  }
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
  const samples: Sample[] = [];
  const memory: MemorySample[] = [];
  const errors = new Map<string, number>();
  try {
    await waitForHttp(`${baseUrl}/health`, 600);
    context.log(
      `engram serve pid ${pid} (${settings.distributed ? 'PostgreSQL + Redis' : 'SQLite'}, ` +
        `${settings.localEmbedder ? 'local model' : 'hashing embeddings'}): ${settings.clients} clients, ` +
        `${settings.requestsPerMinute} requests/min, ${settings.tenants} tenants, ${settings.minutes} min`,
    );
    const startedAt = Date.now();
    const endsAt = startedAt + settings.minutes * 60_000;
    const sampleMemory = async () => {
      memory.push({
        atMs: Date.now() - startedAt,
        rssBytes: readRssBytes(pid),
        heapUsedBytes: await readHeapUsedBytes(baseUrl),
      });
    };
    await sampleMemory();
    let lastLogged = 0;
    const sampler = setInterval(() => {
      void sampleMemory().then(() => {
        const minute = Math.floor((Date.now() - startedAt) / 60_000);
        if (minute > lastLogged) {
          lastLogged = minute;
          const last = memory[memory.length - 1]!;
          const done = samples.filter((s) => s.minute === minute);
          context.log(
            `minute ${minute}: ${done.length} requests (${done.filter((s) => !s.ok).length} failed), ` +
              `p95 ${quantile(
                done.map((s) => s.ms),
                0.95,
              ).toFixed(
                1,
              )} ms, RSS ${(last.rssBytes / MB).toFixed(0)} MB, heap ${(last.heapUsedBytes / MB).toFixed(0)} MB`,
          );
        }
      });
    }, SAMPLE_EVERY_MS);
    const intervalMs = (60_000 * settings.clients) / settings.requestsPerMinute;
    try {
      await Promise.all(
        Array.from({ length: settings.clients }, (_, index) =>
          runClient({ index, baseUrl, keys, intervalMs, startedAt, endsAt, samples, errors }),
        ),
      );
    } finally {
      clearInterval(sampler);
    }
    await sampleMemory();
  } finally {
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
  return report(settings, samples, memory, errors, context);
}

export const soakSuite: BenchSuite = {
  name: 'soak',
  description:
    '100 clients × recall, context, turns, documents, events against `engram serve` for ENGRAM_SOAK_MINUTES (10): p50/p95 per minute, RSS/heap slope',
  // Ten minutes: only `npm run bench -- soak` runs it.
  onlyWhenNamed: true,
  run: soak,
};
