// Builds a real runtime for tests: a fresh SQLite file (or PostgreSQL schema) and quiet logs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load-config.js';
import type { Config } from '../../src/config/schema.js';
import type { Clock } from '../../src/domain/clock.js';
import { createSilentLogger } from '../../src/domain/logger.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { dropSchema, POSTGRES_URL, uniqueName } from './backends.js';

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
