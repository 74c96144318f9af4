// PostgreSQL transactions across stores: one pooled client in BEGIN … COMMIT, with the document
// and graph stores built on it (their own multi-statement writes join it; see withTransaction).
import type pg from 'pg';
import type { Clock } from '../../domain/clock.js';
import type { RunInTransaction } from '../../ports/stores.js';
import { createPostgresDocumentStore } from './document-store.js';
import { createPostgresGraphStore } from './graph-store.js';
import { withTransaction } from './transaction.js';

export function createPostgresStoreTransaction(pool: pg.Pool, clock: Clock): RunInTransaction {
  return (work) =>
    withTransaction(pool, (client) =>
      work({
        documentStore: createPostgresDocumentStore({ pool: client, clock }),
        graphStore: createPostgresGraphStore(client),
      }),
    );
}
