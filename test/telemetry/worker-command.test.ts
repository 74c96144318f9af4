// `engram worker` as a real process: it folds what `POST /v1/events` appended (embedded store
// shared through the SQLite file) and stops cleanly on SIGTERM.
import { spawn } from 'node:child_process';
import { afterEach, expect, it } from 'vitest';
import { systemClock } from '../../src/domain/clock.js';
import { createTelemetryService } from '../../src/telemetry/service.js';
import { openTempSqliteTelemetry } from './backends.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

it('engram worker folds the stream and exits 0 on SIGTERM', async () => {
  const backend = await openTempSqliteTelemetry();
  cleanups.push(() => backend.close());
  const service = createTelemetryService({
    stream: backend.stream,
    metrics: backend.metrics,
    clock: systemClock,
    batchMaxEvents: 100,
  });
  const now = Date.now();
  await service.ingest(
    'default',
    Array.from({ length: 50 }, (_, i) => ({
      type: 'suggestion',
      eventId: `e${i}`,
      ts: now,
      sessionId: 's',
      agentId: 'a',
      action: i % 5 === 0 ? 'rejected' : 'accepted',
    })),
  );

  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'worker'], {
    env: { ...process.env, ENGRAM_DATA_DIR: backend.dir, ENGRAM_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  cleanups.push(async () => {
    if (child.exitCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });

  const deadline = Date.now() + 40_000;
  let summary = await service.summary('default', { window: '5m' });
  while (summary.events < 50 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    summary = await service.summary('default', { window: '5m' });
  }
  expect(summary.suggestions).toMatchObject({ accepted: 40, rejected: 10, acceptanceRate: 0.8 });
  expect(output).toContain('engram worker running');
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(output).toContain('shutdown complete');
});
