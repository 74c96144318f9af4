// The engram command as a user runs it: exit codes, config check, migrate, and a graceful
// shutdown that finishes in-flight requests.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_PATH, collect, freePort, runCli, spawnCli, waitForHttp } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'engram-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('engram CLI', () => {
  it('exits 2 naming every bad setting', async () => {
    const result = await runCli(['serve'], {
      ENGRAM_PORT: 'abc',
      ENGRAM_WM_MAX_TURNS: '0',
      ENGRAM_DATA_DIR: dir,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('ENGRAM_PORT');
    expect(result.stderr).toContain('ENGRAM_WM_MAX_TURNS');
    expect(result.stderr.trim().split('\n')[0]).toMatch(
      /^engram: Invalid configuration \(2 problems\)/,
    );
  });

  it('prints the version, checks config with secrets masked, and migrates', async () => {
    expect((await runCli(['--version'], {})).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const check = await runCli(['config', 'check'], {
      ENGRAM_DATA_DIR: dir,
      ENGRAM_LLM_API_KEY: 'sk-very-secret',
    });
    expect(check.code).toBe(0);
    expect(check.stdout).toContain('ENGRAM_LLM_API_KEY');
    expect(check.stdout).not.toContain('sk-very-secret');
    const first = await runCli(['migrate'], { ENGRAM_DATA_DIR: join(dir, 'm') });
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/applied migrations? /);
    const second = await runCli(['migrate'], { ENGRAM_DATA_DIR: join(dir, 'm') });
    expect(second.stdout).toContain('up to date');
    const rebuild = await runCli(['rebuild-vector-indexes'], { ENGRAM_DATA_DIR: join(dir, 'm') });
    expect(rebuild.code).toBe(0);
    expect(rebuild.stdout).toContain('nothing to rebuild');
  });

  it('fails with one clear line for an unknown command', async () => {
    const result = await runCli(['frobnicate'], {});
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("unknown command 'frobnicate'");
  });

  it('serves from the built package like `npm start`, creating ./.engram in the working directory', async () => {
    const built = CLI_PATH;
    const cwd = mkdtempSync(join(dir, 'start-'));
    const port = await freePort();
    const child = spawn(process.execPath, [built, 'serve'], {
      cwd,
      env: { PATH: process.env.PATH ?? '', ENGRAM_PORT: String(port), ENGRAM_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = collect(child);
    await waitForHttp(`http://127.0.0.1:${port}/health`);
    expect(existsSync(join(cwd, '.engram', 'engram.db'))).toBe(true);
    child.kill('SIGINT');
    expect((await exited).code).toBe(0);
  });

  it('finishes 50 in-flight requests on SIGTERM, then exits 0', async () => {
    const port = await freePort();
    const child = spawnCli(['serve'], {
      ENGRAM_PORT: String(port),
      ENGRAM_DATA_DIR: join(dir, 'serve'),
      ENGRAM_LOG_LEVEL: 'info',
    });
    const exited = collect(child);
    await waitForHttp(`http://127.0.0.1:${port}/health`);

    // Each request sends its headers and half its body, so it is in flight until we finish it.
    const body = JSON.stringify({ events: [] });
    const half = Math.floor(body.length / 2);
    const responses: Array<Promise<number>> = [];
    const requests = Array.from({ length: 50 }, () => {
      const req = request({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/v1/shutdown-probe',
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
      req.write(body.slice(0, half));
      return req;
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const req of requests) req.end(body.slice(half));

    const statuses = await Promise.all(responses);
    expect(statuses).toHaveLength(50);
    // Every request got its real answer (this probe route does not exist: 404), none was cut off.
    expect(new Set(statuses)).toEqual(new Set([404]));
    // Exit 0 without the forced-exit timer means every handle (server, database, workers) closed.
    const result = await exited;
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('shutdown complete');
  });
});
