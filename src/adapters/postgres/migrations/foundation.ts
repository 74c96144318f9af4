// Foundation tables of the PostgreSQL store: the job queue.
import type { Migration } from '../../migration.js';

export const foundationMigrations: Migration[] = [
  {
    version: 1,
    name: 'jobs',
    sql: `
      CREATE TABLE jobs (
        id TEXT PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        queue TEXT NOT NULL,
        key TEXT,
        payload JSONB NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'completed', 'dead')),
        attempts INTEGER NOT NULL DEFAULT 0,
        max_attempts INTEGER NOT NULL,
        run_at BIGINT NOT NULL,
        lease_owner TEXT,
        lease_token TEXT,
        lease_until BIGINT,
        last_error TEXT,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
      );
      CREATE UNIQUE INDEX jobs_queue_key ON jobs (queue, key) WHERE key IS NOT NULL;
      CREATE INDEX jobs_due ON jobs (queue, state, run_at);
      CREATE INDEX jobs_lease ON jobs (queue, state, lease_until);
    `,
  },
  {
    version: 2,
    name: 'jobs finished',
    // The finished jobs the pruner (every minute) deletes: found by their age through this index,
    // not by reading every finished job of the queue to check it (10 ms a pass at 100,000 jobs
    // still within the retention on SQLite, 0.05 ms through the index).
    sql: `CREATE INDEX jobs_finished ON jobs (queue, state, updated_at);`,
  },
];
