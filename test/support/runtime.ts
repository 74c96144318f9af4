// Builds a real runtime for tests: a fresh SQLite file (or PostgreSQL schema) and quiet logs,
// and optionally the HTTP app over it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load-config.js';
import type { Config } from '../../src/config/schema.js';
import type { Clock } from '../../src/domain/clock.js';
import { createSilentLogger } from '../../src/domain/logger.js';
import { buildApp } from '../../src/http/app.js';
import type { EngramApp } from '../../src/http/engram-app.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { dropSchema, POSTGRES_URL, uniqueName } from './backends.js';

/** Two tenants and their API keys, for tests of tenant isolation over HTTP. */
export const TWO_TENANT_API_KEYS = 'key-for-acme-0123456789:acme,key-for-umbrella-012345:umbrella';
export const ACME = { authorization: 'Bearer key-for-acme-0123456789' };
export const UMBRELLA = { authorization: 'Bearer key-for-umbrella-012345' };

export interface TestRuntime {
  runtime: Runtime;
  config: Config;
  dispose(): Promise<void>;
}

export interface TestRuntimeOptions {
  backend?: 'sqlite' | 'postgres';
  env?: Record<string, string>;
  clock?: Clock;
}

export async function createTestRuntime(options: TestRuntimeOptions = {}): Promise<TestRuntime> {
  const dataDir = mkdtempSync(join(tmpdir(), 'engram-test-'));
  const schema = uniqueName('t');
  const env: Record<string, string> = {
    ENGRAM_DATA_DIR: dataDir,
    ENGRAM_LOG_LEVEL: 'silent',
    // One thread per pool: each suite's runtime walks the threaded paths without loading a model
    // or a tagger per core (the pools' own tests run several threads).
    ENGRAM_EMBEDDER_THREADS: '1',
    ENGRAM_EXTRACTOR_THREADS: '1',
    // Test files share two cores, so a fork can be starved for longer than the server's 500 ms
    // Redis command timeout while a reply already waits in its socket: a timeout that says the
    // machine was busy, not that Redis failed (CI twice: a 503 from the metrics summary, and
    // "Command timed out" reading it in the backlog test). Tests of timeouts set their own.
    ENGRAM_REDIS_COMMAND_TIMEOUT_MS: '5000',
    ...(options.backend === 'postgres'
      ? { ENGRAM_DATABASE_URL: POSTGRES_URL, ENGRAM_DATABASE_SCHEMA: schema }
      : {}),
    ...options.env,
  };
  const config = loadConfig({ env, filePath: undefined });
  const runtime = await createRuntime(config, {
    logger: createSilentLogger(),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  return {
    runtime,
    config,
    async dispose() {
      await runtime.close();
      rmSync(dataDir, { recursive: true, force: true });
      if (options.backend === 'postgres') await dropSchema(schema);
    },
  };
}

export interface TestApp extends TestRuntime {
  app: EngramApp;
}

/** A test runtime with the HTTP app over it; `dispose` closes the app, then the runtime. */
export async function createTestApp(options: TestRuntimeOptions = {}): Promise<TestApp> {
  const test = await createTestRuntime(options);
  let app: EngramApp;
  try {
    app = await buildApp(test.runtime);
  } catch (error) {
    await test.dispose();
    throw error;
  }
  return {
    ...test,
    app,
    async dispose() {
      await app.close();
      await test.dispose();
    },
  };
}
