// Test support: a Redis server of the test's own (redis-server on a free port, no persistence),
// so a test can freeze it (SIGSTOP), kill it, and bring it back EMPTY without touching the
// shared server other suites use.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from './cli.js';

export interface PrivateRedis {
  url: string;
  /** SIGSTOP: the port still accepts connections, but nothing answers. */
  freeze(): void;
  /** SIGCONT after freeze(). */
  thaw(): void;
  /** SIGKILL: connections are refused until start(). */
  kill(): Promise<void>;
  /** Starts an empty server on the same port (after kill()). */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** False (with the reason) when redis-server is not installed. */
export function redisServerInstalled(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

async function waitForPing(url: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const redis = new Redis(url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    redis.on('error', () => undefined);
    try {
      await redis.connect();
      await redis.ping();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      redis.disconnect();
    }
  }
  throw new Error(`redis-server at ${url} did not answer`);
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;

  async function start(): Promise<void> {
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    await waitForPing(url);
  }

  async function kill(): Promise<void> {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGCONT');
    running.kill('SIGKILL');
    await exited;
  }

  // A test run that dies must not leave a redis-server behind.
  const killOnExit = () => child?.kill('SIGKILL');
  process.once('exit', killOnExit);
  await start();
  return {
    url,
    freeze: () => child?.kill('SIGSTOP'),
    thaw: () => child?.kill('SIGCONT'),
    kill,
    start,
    async close() {
      process.removeListener('exit', killOnExit);
      await kill();
    },
  };
}
