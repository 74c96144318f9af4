// JobQueue on a table of the SQLite file. better-sqlite3 is synchronous, so each operation is one
// IMMEDIATE transaction: two processes on the same file never claim the same job.
import { randomBytes } from 'node:crypto';
import { AppError } from '../../domain/errors.js';
import { backoffDelayMs } from '../../domain/backoff.js';
import type { Clock } from '../../domain/clock.js';
import { newId } from '../../domain/ids.js';
import type {
  ClaimedJob,
  FailOutcome,
  Job,
  JobFailure,
  JobQueue,
  JobQueueOptions,
  JobState,
  NewJob,
} from '../../ports/job-queue.js';
import type { SqliteHandle } from './database.js';

interface JobRow {
  id: string;
  tenant_id: string;
  queue: string;
  key: string | null;
  payload: string;
  state: JobState;
  attempts: number;
  max_attempts: number;
  run_at: number;
  lease_token: string | null;
  lease_until: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

function toJob(row: JobRow): Job {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    queue: row.queue,
    key: row.key,
    payload: JSON.parse(row.payload) as unknown,
    state: row.state,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    runAt: row.run_at,
    lastError: row.last_error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function createSqliteJobQueue(
  db: SqliteHandle,
  clock: Clock,
  options: JobQueueOptions,
): JobQueue {
  const byId = db.prepare<[string], JobRow>('SELECT * FROM jobs WHERE id = ?');
  const byKey = db.prepare<[string, string], JobRow>(
    'SELECT * FROM jobs WHERE queue = ? AND key = ?',
  );
  const restart = db.prepare(
    `UPDATE jobs SET state = 'queued', payload = ?, attempts = 0, max_attempts = ?, run_at = ?,
       lease_owner = NULL, lease_token = NULL, lease_until = NULL, last_error = NULL, updated_at = ?
     WHERE id = ?`,
  );
  const insert = db.prepare(
    `INSERT INTO jobs (id, tenant_id, queue, key, payload, state, attempts, max_attempts, run_at, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?, ?)`,
  );
  const dueJobs = db.prepare<[string, number, string, number, number], JobRow>(
    `SELECT * FROM jobs
     WHERE (queue = ? AND state = 'queued' AND run_at <= ?)
        OR (queue = ? AND state = 'running' AND lease_until < ?)
     ORDER BY run_at LIMIT ?`,
  );
  const markDead = db.prepare(
    `UPDATE jobs SET state = 'dead', lease_token = NULL, lease_until = NULL, last_error = ?, updated_at = ? WHERE id = ?`,
  );
  const markRunning = db.prepare(
    `UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = ?, lease_token = ?, lease_until = ?,
       updated_at = ? WHERE id = ?`,
  );
  const markRetry = db.prepare(
    `UPDATE jobs SET state = 'queued', run_at = ?, lease_token = NULL, lease_until = NULL, last_error = ?, updated_at = ?
     WHERE id = ?`,
  );
  const markCompleted = db.prepare(
    `UPDATE jobs SET state = 'completed', lease_token = NULL, lease_until = NULL, last_error = NULL, updated_at = ?
     WHERE id = ? AND lease_token = ? AND state = 'running'`,
  );
  const renewLease = db.prepare(
    `UPDATE jobs SET lease_until = ? WHERE id = ? AND lease_token = ? AND state = 'running'`,
  );

  const enqueue = db.transaction((job: NewJob): { job: Job; created: boolean } => {
    const now = clock.now();
    const maxAttempts = job.maxAttempts ?? options.defaultMaxAttempts;
    const payload = JSON.stringify(job.payload ?? null);
    if (job.key !== undefined) {
      const existing = byKey.get(job.queue, job.key);
      if (existing !== undefined) {
        if (existing.state === 'queued' || existing.state === 'running')
          return { job: toJob(existing), created: false };
        restart.run(payload, maxAttempts, job.runAt ?? now, now, existing.id);
        return { job: toJob(byId.get(existing.id)!), created: true };
      }
    }
    const id = newId('job', now);
    insert.run(
      id,
      job.tenantId,
      job.queue,
      job.key ?? null,
      payload,
      maxAttempts,
      job.runAt ?? now,
      now,
      now,
    );
    return { job: toJob(byId.get(id)!), created: true };
  });

  const claim = db.transaction(
    (queue: string, workerId: string, limit: number, leaseMs: number): ClaimedJob[] => {
      const now = clock.now();
      const due = dueJobs.all(queue, now, queue, now, limit);
      const claimed: ClaimedJob[] = [];
      for (const row of due) {
        if (row.state === 'running' && row.attempts >= row.max_attempts) {
          // The last holder died (lease expired) on its final attempt: no attempts are left.
          markDead.run(
            `lease expired on attempt ${row.attempts} of ${row.max_attempts} (worker stopped or stalled)`,
            now,
            row.id,
          );
          continue;
        }
        const leaseToken = randomBytes(12).toString('hex');
        const leaseUntil = now + leaseMs;
        markRunning.run(workerId, leaseToken, leaseUntil, now, row.id);
        claimed.push({ ...toJob(byId.get(row.id)!), leaseToken, leaseUntil });
      }
      return claimed;
    },
  );

  const fail = db.transaction((job: ClaimedJob, failure: JobFailure): FailOutcome => {
    const now = clock.now();
    const row = byId.get(job.id);
    if (row === undefined || row.lease_token !== job.leaseToken || row.state !== 'running')
      return 'lease-lost';
    const dead = !failure.retryable || row.attempts >= row.max_attempts;
    if (dead) {
      markDead.run(failure.message, now, job.id);
      return 'dead';
    }
    const runAt =
      now +
      backoffDelayMs(row.attempts, { baseMs: options.backoffBaseMs, maxMs: options.backoffMaxMs });
    markRetry.run(runAt, failure.message, now, job.id);
    return 'retrying';
  });

  return {
    enqueue: async (job) => enqueue.immediate(job),
    claim: async ({ queue, workerId, limit, leaseMs }) =>
      claim.immediate(queue, workerId, limit, leaseMs),
    complete: async (job) => {
      const result = markCompleted.run(clock.now(), job.id, job.leaseToken);
      return result.changes === 1;
    },
    fail: async (job, failure) => fail.immediate(job, failure),
    extendLease: async (job, leaseMs) => {
      const leaseUntil = clock.now() + leaseMs;
      const result = renewLease.run(leaseUntil, job.id, job.leaseToken);
      if (result.changes === 1) job.leaseUntil = leaseUntil;
      return result.changes === 1;
    },
    get: async (tenantId, jobId) => {
      const row = byId.get(jobId);
      return row !== undefined && row.tenant_id === tenantId ? toJob(row) : undefined;
    },
    findByKey: async (queue, key) => {
      const row = byKey.get(queue, key);
      return row === undefined ? undefined : toJob(row);
    },
    list: async ({ queue, state, tenantId, limit }) =>
      db
        .prepare<[string, string, string | null, string | null, number], JobRow>(
          `SELECT * FROM jobs WHERE queue = ? AND state = ? AND (? IS NULL OR tenant_id = ?)
           ORDER BY updated_at DESC LIMIT ?`,
        )
        .all(queue, state, tenantId ?? null, tenantId ?? null, limit)
        .map(toJob),
    requeue: async (tenantId, jobId) => {
      const now = clock.now();
      const result = db
        .prepare(
          `UPDATE jobs SET state = 'queued', attempts = 0, run_at = ?, last_error = NULL, updated_at = ?
           WHERE id = ? AND tenant_id = ? AND state = 'dead'`,
        )
        .run(now, now, jobId, tenantId);
      const row = byId.get(jobId);
      if (row === undefined || row.tenant_id !== tenantId)
        throw new AppError('JOB_NOT_FOUND', `No job ${jobId}.`);
      if (result.changes === 0) {
        throw new AppError(
          'INVALID_STATE',
          `Job ${jobId} is ${row.state}; only dead jobs can be requeued.`,
        );
      }
      return toJob(row);
    },
    pruneFinished: async ({ queue, finishedBefore, limit }) =>
      db
        .prepare(
          `DELETE FROM jobs WHERE id IN (
             SELECT id FROM jobs WHERE queue = ? AND state IN ('completed', 'dead') AND updated_at < ? LIMIT ?)`,
        )
        .run(queue, finishedBefore, limit).changes,
    counts: async (queue) => {
      const counts: Record<JobState, number> = { queued: 0, running: 0, completed: 0, dead: 0 };
      const rows = db
        .prepare<[string], { state: JobState; n: number }>(
          'SELECT state, COUNT(*) AS n FROM jobs WHERE queue = ? GROUP BY state',
        )
        .all(queue);
      for (const row of rows) counts[row.state] = row.n;
      return counts;
    },
  };
}
