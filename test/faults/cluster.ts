// A distributed Engram of REAL processes for the fault-injection tests: API nodes
// (`engram serve --role api`) and workers (`engram worker`) from the built CLI, on a fresh
// PostgreSQL schema and a Redis of the suite's own (so it can be frozen, killed and restarted
// empty), embedding through the hashing test server. Processes can be SIGKILLed, SIGTERMed and
// started again; close() stops everything and drops the schema.
import { type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropSchema, POSTGRES_URL, uniqueName } from '../support/backends.js';
import { freePort, spawnCli, waitForHttp } from '../support/cli.js';
import {
  startHashingEmbeddingServer,
  type EmbeddingServer,
} from '../support/hashing-embedding-server.js';
import { startPrivateRedis, type PrivateRedis } from '../support/private-redis.js';
import { TWO_TENANT_API_KEYS } from '../support/runtime.js';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface EngramProcess {
  readonly name: string;
  readonly role: 'api' | 'worker';
  /** http://127.0.0.1:<port> (API nodes only). */
  readonly url: string;
  child: ChildProcess;
  /** Everything the process wrote (pino JSON lines), for diagnostics. */
  output: string;
  exited: Promise<Exit>;
  running(): boolean;
  /** Sends the signal and waits for the exit. */
  stop(signal: NodeJS.Signals): Promise<Exit>;
  /** Starts the same node again (same port, plus `extraEnv`) and waits until it is up. */
  restart(extraEnv?: Record<string, string>): Promise<void>;
}

export interface Cluster {
  apis: EngramProcess[];
  workers: EngramProcess[];
  redis: PrivateRedis;
  /** The embeddings endpoint every process uses; setDelayMs keeps requests in flight. */
  embedder: EmbeddingServer;
  schema: string;
  /** Starts again every process that is not running. */
  ensureRunning(): Promise<void>;
  close(): Promise<void>;
}

export interface ClusterOptions {
  apis?: number;
  workers?: number;
  /** Extra ENGRAM_* settings for every process. */
  env?: Record<string, string>;
}

const START_TIMEOUT_MS = 45_000;

async function waitForOutput(proc: EngramProcess, text: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!proc.output.includes(text)) {
    if (!proc.running()) throw new Error(`${proc.name} exited while starting:\n${proc.output}`);
    if (Date.now() > deadline) throw new Error(`${proc.name} did not start:\n${proc.output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function createProcess(
  name: string,
  role: 'api' | 'worker',
  port: number,
  env: Record<string, string>,
): EngramProcess {
  const args = role === 'api' ? ['serve', '--role', 'api'] : ['worker'];
  const proc: EngramProcess = {
    name,
    role,
    url: `http://127.0.0.1:${port}`,
    child: undefined as unknown as ChildProcess,
    output: '',
    exited: Promise.resolve({ code: null, signal: null }),
    running: () => proc.child.exitCode === null && proc.child.signalCode === null,
    async stop(signal) {
      if (proc.running()) proc.child.kill(signal);
      return proc.exited;
    },
    async restart(extraEnv = {}) {
      if (proc.running()) await proc.stop('SIGKILL');
      spawnIt(extraEnv);
      if (role === 'api') await waitForHttp(`${proc.url}/health`, START_TIMEOUT_MS / 100);
      else await waitForOutput(proc, 'engram worker running');
    },
  };
  function spawnIt(extraEnv: Record<string, string> = {}): void {
    const own = role === 'api' ? { ENGRAM_PORT: String(port) } : {};
    const child = spawnCli(args, { ...env, ...own, ...extraEnv });
    proc.child = child;
    proc.output = '';
    child.stdout?.on('data', (chunk: Buffer) => (proc.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (proc.output += chunk.toString()));
    proc.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
  }
  spawnIt();
  return proc;
}

export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const schema = uniqueName('faults');
  const dataDir = mkdtempSync(join(tmpdir(), 'engram-faults-'));
  const embedder: EmbeddingServer = await startHashingEmbeddingServer();
  const redis = await startPrivateRedis();
  const env: Record<string, string> = {
    ENGRAM_DATA_DIR: dataDir,
    ENGRAM_DATABASE_URL: POSTGRES_URL,
    ENGRAM_DATABASE_SCHEMA: schema,
    ENGRAM_REDIS_URL: redis.url,
    ENGRAM_REDIS_KEY_PREFIX: `${uniqueName('faults')}:`,
    ENGRAM_API_KEYS: TWO_TENANT_API_KEYS,
    ENGRAM_LOG_LEVEL: 'info',
    // Two API nodes, two workers, PostgreSQL and a Redis share two cores with other test files:
    // a 500 ms Redis command timeout (the server's default) expired in CI while a node was merely
    // starved (a document's enqueue during the SIGTERM drain test). Freezing and killing Redis
    // still hits this timeout.
    ENGRAM_REDIS_COMMAND_TIMEOUT_MS: '2000',
    ...embedder.env,
    ...options.env,
  };
  const apis: EngramProcess[] = [];
  const workers: EngramProcess[] = [];
  const all = () => [...apis, ...workers];
  // A test run that dies must not leave engram processes behind.
  const killOnExit = () => all().forEach((proc) => proc.child.kill('SIGKILL'));
  process.once('exit', killOnExit);
  const cluster: Cluster = {
    apis,
    workers,
    redis,
    embedder,
    schema,
    async ensureRunning() {
      await Promise.all(
        all()
          .filter((proc) => !proc.running())
          .map((proc) => proc.restart()),
      );
    },
    async close() {
      process.removeListener('exit', killOnExit);
      await Promise.all(all().map((proc) => proc.stop('SIGKILL')));
      await redis.close();
      await embedder.close();
      rmSync(dataDir, { recursive: true, force: true });
      await dropSchema(schema);
    },
  };
  try {
    // The first node migrates the fresh schema; the others then start against it at once.
    const first = createProcess('api-1', 'api', await freePort(), env);
    apis.push(first);
    await waitForHttp(`${first.url}/health`, START_TIMEOUT_MS / 100);
    for (let i = 2; i <= (options.apis ?? 2); i += 1)
      apis.push(createProcess(`api-${i}`, 'api', await freePort(), env));
    for (let i = 1; i <= (options.workers ?? 2); i += 1)
      workers.push(createProcess(`worker-${i}`, 'worker', 0, env));
    await Promise.all([
      ...apis.map((api) => waitForHttp(`${api.url}/health`, START_TIMEOUT_MS / 100)),
      ...workers.map((worker) => waitForOutput(worker, 'engram worker running')),
    ]);
  } catch (error) {
    await cluster.close();
    throw error;
  }
  return cluster;
}
