// Job queue port: durable background work with leases, attempts, backoff and a dead-letter state.
// Adapters: a table in the SQL store (SQLite, PostgreSQL), and Redis for distributed deployments.

export type JobState = 'queued' | 'running' | 'completed' | 'dead';

export interface NewJob {
  tenantId: string;
  queue: string;
  payload: unknown;
  /**
   * At most one live (queued or running) job per queue and key: enqueueing again returns the
   * live job. A finished (completed or dead) job with the key is queued again from scratch.
   */
  key?: string;
  /** Earliest start, ms since epoch. */
  runAt?: number;
  maxAttempts?: number;
}

export interface Job {
  id: string;
  tenantId: string;
  queue: string;
  key: string | null;
  payload: unknown;
  state: JobState;
  attempts: number;
  maxAttempts: number;
  runAt: number;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
}

/** A job this worker holds a lease on; the token proves ownership on complete/fail. */
export interface ClaimedJob extends Job {
  leaseToken: string;
  leaseUntil: number;
}

export interface JobFailure {
  message: string;
  /** False: fail for good now (bad input). True: retry with backoff until attempts run out. */
  retryable: boolean;
}

export type FailOutcome = 'retrying' | 'dead' | 'lease-lost';

export interface JobQueue {
  enqueue(job: NewJob): Promise<{ job: Job; created: boolean }>;
  /** Claims up to `limit` due jobs (and jobs whose lease expired) for `leaseMs`. */
  claim(input: {
    queue: string;
    workerId: string;
    limit: number;
    leaseMs: number;
  }): Promise<ClaimedJob[]>;
  /** False when the lease was lost (expired and taken by another worker). */
  complete(job: ClaimedJob): Promise<boolean>;
  fail(job: ClaimedJob, failure: JobFailure): Promise<FailOutcome>;
  extendLease(job: ClaimedJob, leaseMs: number): Promise<boolean>;
  get(tenantId: string, jobId: string): Promise<Job | undefined>;
  /** The job holding `key` on the queue (live or finished), if any: maintenance, across tenants. */
  findByKey(queue: string, key: string): Promise<Job | undefined>;
  list(input: { queue: string; state: JobState; tenantId?: string; limit: number }): Promise<Job[]>;
  /** Moves a dead job back to queued with fresh attempts. */
  requeue(tenantId: string, jobId: string): Promise<Job>;
  counts(queue: string): Promise<Record<JobState, number>>;
  /**
   * Deletes up to `limit` completed and dead jobs of the queue that finished before
   * `finishedBefore` (ms since epoch), across tenants; returns how many. Live jobs are never touched.
   */
  pruneFinished(input: { queue: string; finishedBefore: number; limit: number }): Promise<number>;
}

export interface JobQueueOptions {
  backoffBaseMs: number;
  backoffMaxMs: number;
  defaultMaxAttempts: number;
}
