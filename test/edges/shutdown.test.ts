// SIGTERM drains `engram serve` (the built CLI, a real child process): requests in flight finish
// and are stored, keep-alive connections do not hold the process open, /ready tells load
// balancers the node is leaving, and it exits 0.
import { mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { createSilentLogger } from '../../src/domain/logger.js';
import { createRuntime } from '../../src/runtime.js';
import { collect, freePort, spawnCli, waitForHttp, type CliResult } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'engram-shutdown-'));

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface Served {
  port: number;
  exited: Promise<CliResult>;
  /** Resolves once the server's log has a line for which `match` holds `count` times. */
  logged(match: (line: string) => boolean, count?: number): Promise<void>;
  kill(signal: NodeJS.Signals): void;
}

async function serve(dataDir: string, env: Record<string, string> = {}): Promise<Served> {
  const port = await freePort();
  const child = spawnCli(['serve'], {
    ENGRAM_PORT: String(port),
    ENGRAM_DATA_DIR: dataDir,
    ENGRAM_LOG_LEVEL: 'info',
    ...env,
  });
  const waiters: Array<{ match: (line: string) => boolean; left: number; done: () => void }> = [];
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      for (const waiter of waiters) {
        if (waiter.left > 0 && waiter.match(line) && --waiter.left === 0) waiter.done();
      }
    }
  });
  const exited = collect(child);
  await waitForHttp(`http://127.0.0.1:${port}/health`);
  return {
    port,
    exited,
    logged: (match, count = 1) =>
      new Promise((resolve) => waiters.push({ match, left: count, done: resolve })),
    kill: (signal) => child.kill(signal),
  };
}

describe('graceful shutdown of engram serve', () => {
  it('finishes and stores 50 documents in flight on keep-alive connections at SIGTERM, then exits 0', async () => {
    const dataDir = join(dir, 'documents');
    const server = await serve(dataDir);
    const agent = new Agent({ keepAlive: true, maxSockets: 50 });
    const bodies = Array.from({ length: 50 }, (_, i) =>
      JSON.stringify({ content: `# Note ${i}\n\nDocument number ${i} sent before SIGTERM.` }),
    );
    const received = server.logged(
      (line) => line.includes('incoming request') && line.includes('/v1/documents'),
      50,
    );
    const responses: Array<Promise<number>> = [];
    // Each request sends its headers and half its body: it is in flight until we finish it.
    const requests = bodies.map((body) => {
      const req = request({
        host: '127.0.0.1',
        port: server.port,
        agent,
        method: 'POST',
        path: '/v1/documents',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      });
      responses.push(
        new Promise((resolve, reject) => {
          req.on('response', (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          });
          req.on('error', reject);
        }),
      );
      req.write(body.slice(0, body.length / 2));
      return req;
    });
    await received;
    const shuttingDown = server.logged((line) => line.includes('shutting down'));
    server.kill('SIGTERM');
    await shuttingDown;
    requests.forEach((req, i) => req.end(bodies[i]!.slice(bodies[i]!.length / 2)));

    const statuses = await Promise.all(responses);
    expect(statuses).toEqual(Array.from({ length: 50 }, () => 202));
    const result = await server.exited;
    agent.destroy();
    expect(result.code, result.stdout.slice(-2000)).toBe(0);
    expect(result.stdout).toContain('shutdown complete');

    const config = loadConfig({ env: { ENGRAM_DATA_DIR: dataDir }, filePath: undefined });
    const runtime = await createRuntime(config, { logger: createSilentLogger() });
    try {
      const page = await runtime.ingest.list({ tenantId: 'default', limit: 100 });
      expect(page.items).toHaveLength(50);
    } finally {
      await runtime.close();
    }
  });

  it('answers /ready 503 while it drains, so load balancers stop sending it work', async () => {
    const server = await serve(join(dir, 'ready'));
    const socket = connect(server.port, '127.0.0.1');
    await once(socket, 'connect');
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    // A probe already on its way at SIGTERM: all but the blank line that ends its headers.
    socket.write('GET /ready HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const shuttingDown = server.logged((line) => line.includes('shutting down'));
    server.kill('SIGTERM');
    await shuttingDown;
    socket.write('\r\n');
    await once(socket, 'close');
    expect(answer).toMatch(/^HTTP\/1\.1 503 /);
    const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as {
      status: string;
      checks: Array<{ name: string; ok: boolean }>;
    };
    expect(body.status).toBe('unavailable');
    expect(body.checks).toContainEqual(expect.objectContaining({ name: 'shutdown', ok: false }));
    const result = await server.exited;
    expect(result.code, result.stdout.slice(-2000)).toBe(0);
  });

  it('exits 0 promptly at SIGTERM when keep-alive connections stay open after their answer', async () => {
    // A shutdown timeout shorter than Fastify's 72 s keep-alive: waiting for the client to hang
    // up would end in the forced exit (code 1).
    const server = await serve(join(dir, 'idle'), { ENGRAM_SHUTDOWN_TIMEOUT_MS: '3000' });
    const agent = new Agent({ keepAlive: true, keepAliveMsecs: 60_000 });
    const get = () =>
      new Promise<number>((resolve, reject) => {
        request({ host: '127.0.0.1', port: server.port, agent, path: '/health' }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        })
          .on('error', reject)
          .end();
      });
    expect(await Promise.all([get(), get(), get()])).toEqual([200, 200, 200]);
    // One more request in flight on a keep-alive connection; its socket stays with the agent.
    const body = JSON.stringify({ userId: 'ada' });
    const received = server.logged(
      (line) => line.includes('incoming request') && line.includes('/v1/sessions'),
    );
    const req = request({
      host: '127.0.0.1',
      port: server.port,
      agent,
      method: 'POST',
      path: '/v1/sessions',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    const answered = new Promise<number>((resolve, reject) => {
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
    });
    req.write(body.slice(0, 5));
    await received;
    const shuttingDown = server.logged((line) => line.includes('shutting down'));
    server.kill('SIGTERM');
    await shuttingDown;
    req.end(body.slice(5));
    expect(await answered).toBe(201);
    const result = await server.exited;
    agent.destroy();
    expect(result.code, result.stdout.slice(-2000)).toBe(0);
    expect(result.stdout).not.toContain('shutdown timed out');
  });
});
