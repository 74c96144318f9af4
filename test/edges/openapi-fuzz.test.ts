// Fuzzing every operation of the OpenAPI document the app serves (/docs/json), so a new route is
// covered without writing a test: random and mutated path parameters, query strings, headers
// and JSON bodies. Whatever arrives, the answer is never a 5xx, every error is in the envelope
// with its request id, no request outlives its deadline, and a rejected request stores nothing.
// Seeded and bounded; a failure prints its seed (rerun with ENGRAM_FUZZ_SEED=<seed>).
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  operationsOf,
  requestFor,
  type FuzzRequest,
  type OpenApiDocument,
} from '../support/openapi-arbitrary.js';
import { createTestApp } from '../support/runtime.js';

const SEED = Number(process.env.ENGRAM_FUZZ_SEED ?? 17);
const RUNS_PER_OPERATION = Number(process.env.ENGRAM_FUZZ_RUNS ?? 40);
const DEADLINE_MS = 5_000;
/** Scheduling slack on a shared 2-core machine; a hang is far past this. */
const DEADLINE_SLACK_MS = 5_000;
const TENANT = 'fuzz';
const AUTH = { authorization: 'Bearer fuzz-key-0123456789abcdef' };

const fixture = await createTestApp({
  env: {
    ENGRAM_API_KEYS: `fuzz-key-0123456789abcdef:${TENANT}`,
    ENGRAM_RATE_LIMIT_PER_MINUTE: '0',
    ENGRAM_REQUEST_DEADLINE_MS: String(DEADLINE_MS),
  },
});
const document = (
  await fixture.app.inject({ method: 'GET', url: '/docs/json' })
).json<OpenApiDocument>();
const operations = operationsOf(document);

// Row counts of the fuzz tenant in every table, read through a second connection to the file.
const db = new Database(join(fixture.config.dataDir, 'engram.db'), { readonly: true });
const columnsOf = (table: string) =>
  (db.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as Array<{ name: string }>).map(
    (column) => column.name,
  );
const tenantTables = (
  db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as Array<{ name: string }>
)
  .map(({ name }) => name)
  .filter((name) => columnsOf(name).includes('tenant_id'));
// Engram's own model-call events (agent "engram") are appended in the background after a
// successful request; they are not what a rejected request stored.
const countStatements = tenantTables.map(
  (name) =>
    [
      name,
      db.prepare(
        `SELECT count(*) AS n FROM "${name}" WHERE tenant_id = ?` +
          (columnsOf(name).includes('payload')
            ? ` AND payload NOT LIKE '%"agentId":"engram"%'`
            : ''),
      ),
    ] as const,
);

function storedCounts(): Record<string, number> {
  return Object.fromEntries(
    countStatements.map(([name, statement]) => [name, (statement.get(TENANT) as { n: number }).n]),
  );
}

afterAll(async () => {
  db.close();
  await fixture.dispose();
});

interface ErrorEnvelope {
  error?: { code?: unknown; message?: unknown; requestId?: unknown };
}

async function check(request: FuzzRequest): Promise<void> {
  const before = storedCounts();
  const started = performance.now();
  const response = await fixture.app.inject({
    method: request.method as 'GET',
    url: request.url,
    headers: request.headers,
    ...(request.payload === undefined ? {} : { payload: request.payload }),
  });
  const elapsedMs = performance.now() - started;
  const where = `${request.method} ${request.url.slice(0, 200)} → ${response.statusCode} ${response.body.slice(0, 300)}`;
  expect(response.statusCode, where).toBeLessThan(500);
  expect(elapsedMs, where).toBeLessThan(DEADLINE_MS + DEADLINE_SLACK_MS);
  if (response.statusCode >= 400) {
    const body = response.json<ErrorEnvelope>();
    expect(typeof body.error?.code, where).toBe('string');
    expect(typeof body.error?.message, where).toBe('string');
    expect(body.error?.requestId, where).toBe(response.headers['x-request-id']);
    expect(storedCounts(), where).toEqual(before);
  }
}

describe('OpenAPI fuzzing: every operation, random and mutated requests', () => {
  it('finds the operations in the served document', () => {
    expect(operations.length).toBeGreaterThan(20);
    expect(tenantTables.length).toBeGreaterThan(5);
  });

  it.each(
    operations.map((operation) => [`${operation.method} ${operation.path}`, operation] as const),
  )('%s', async (_name, operation) => {
    await fc.assert(fc.asyncProperty(requestFor(operation, document, AUTH), check), {
      seed: SEED,
      numRuns: RUNS_PER_OPERATION,
      endOnFailure: true,
    });
  });
});
