// The JobQueue contract on SQLite and PostgreSQL.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { openPostgres } from '../../src/adapters/postgres/database.js';
import { createPostgresJobQueue } from '../../src/adapters/postgres/job-queue.js';
import { openSqlite } from '../../src/adapters/sqlite/database.js';
import { createSqliteJobQueue } from '../../src/adapters/sqlite/job-queue.js';
import { dropSchema, POSTGRES_URL, postgresAvailable, uniqueName } from '../support/backends.js';
import { describeJobQueue } from '../contracts/job-queue.js';

const dir = mkdtempSync(join(tmpdir(), 'engram-jobs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeJobQueue('sqlite', async (clock, options) => {
  const database = openSqlite({ path: join(dir, `${uniqueName('q')}.db`) });
  return { queue: createSqliteJobQueue(database.db, clock, options), close: async () => database.close() };
});

let pgUp = false;
beforeAll(async () => {
  pgUp = await postgresAvailable();
});

describeJobQueue(
  'postgres',
  async (clock, options) => {
    const schema = uniqueName('jobs');
    const database = await openPostgres({ url: POSTGRES_URL, schema });
    return {
      queue: createPostgresJobQueue(database.pool, clock, options),
      close: async () => {
        await database.close();
        await dropSchema(schema);
      },
    };
  },
  () => pgUp,
);
