// The Python client (clients/python) through every method against a real server: its unittest
// suite runs in python3 with ENGRAM_URL pointing here, and a failing Python test fails this one.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startListeningApp, type ListeningApp } from './listening-app.js';

const run = promisify(execFile);

describe('Python client against a real server', () => {
  let server: ListeningApp;

  beforeAll(async () => {
    server = await startListeningApp();
  });
  afterAll(async () => {
    await server?.test.dispose();
  });

  it('passes its unittest suite, none skipped', async () => {
    // Asynchronous on purpose: the server answering python lives in this process.
    const result = await run('python3', ['-m', 'unittest', 'discover', '-s', 'tests', '-v'], {
      cwd: 'clients/python',
      env: { ...process.env, ENGRAM_URL: server.baseUrl, PYTHONDONTWRITEBYTECODE: '1' },
    }).catch((error: { stdout: string; stderr: string }) => {
      throw new Error(`python3 -m unittest failed:\n${error.stderr}\n${error.stdout}`);
    });
    expect(result.stderr).toMatch(/\nOK\n?$/);
    expect(result.stderr).not.toContain('skipped');
  });
});
