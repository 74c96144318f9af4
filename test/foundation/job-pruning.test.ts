// Finished jobs do not pile up: the runtime's workers prune completed (and dead) jobs once they
// are older than ENGRAM_JOB_RETENTION_MS, and leave younger ones for inspection.
import { afterEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/domain/clock.js';
import { ingestJobKey } from '../../src/ingest/ingest-service.js';
import { INGEST_QUEUE } from '../../src/ingest/pipeline.js';
import { createTestRuntime, type TestRuntime } from '../support/runtime.js';
import { until } from '../telemetry/backends.js';

describe('finished-job pruning', () => {
  let test: TestRuntime | undefined;
  afterEach(async () => {
    await test?.dispose();
    test = undefined;
  });

  it('deletes a completed job once it is older than the retention, not before', async () => {
    const clock = createManualClock(Date.now());
    test = await createTestRuntime({
      clock,
      env: {
        ENGRAM_JOB_RETENTION_MS: '60000',
        ENGRAM_JOB_SWEEP_INTERVAL_MS: '100',
        ENGRAM_WORKER_POLL_MS: '20',
      },
    });
    const { runtime } = test;
    const jobs = runtime.stores.jobQueue;
    runtime.startBackground();
    const { document } = await runtime.ingest.submit('acme', {
      content: 'Retention notes: finished jobs are kept for a while, then deleted.',
      mimeType: 'text/plain',
    });
    const done = await until(
      () => runtime.ingest.get('acme', document.id),
      (doc) => doc.status === 'completed' || doc.status === 'failed',
      30_000,
    );
    expect(done.status).toBe('completed');
    const job = await jobs.findByKey(INGEST_QUEUE, ingestJobKey(document));
    expect(job?.state).toBe('completed');

    clock.advance(30_000); // within the retention: several pruning passes keep it
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await jobs.findByKey(INGEST_QUEUE, ingestJobKey(document)))?.state).toBe('completed');

    clock.advance(31_000);
    const gone = await until(
      () => jobs.findByKey(INGEST_QUEUE, ingestJobKey(document)),
      (found) => found === undefined,
      10_000,
    );
    expect(gone).toBeUndefined();
    expect((await runtime.ingest.get('acme', document.id)).status).toBe('completed');
  });
});
