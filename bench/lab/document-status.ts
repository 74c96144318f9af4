// Lab: what a large document's status costs the document store: 20 documents of 5 MB, each read
// and updated 5 times (a status update as the pipeline makes one between stages), ms each, and
// on PostgreSQL the WAL an update writes. SQLite on a temporary file, or PostgreSQL with
// ENGRAM_BENCH_DATABASE_URL (in a schema of its own, dropped after).
//   npx tsx bench/lab/document-status.ts
//   ENGRAM_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx bench/lab/document-status.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPostgres } from '../../src/adapters/postgres/database.js';
import { createPostgresDocumentStore } from '../../src/adapters/postgres/document-store.js';
import { openSqlite } from '../../src/adapters/sqlite/database.js';
import { createSqliteDocumentStore } from '../../src/adapters/sqlite/document-store.js';
import type { DocumentStore } from '../../src/ports/document-store.js';

const DOCUMENTS = 20;
const ROUNDS = 5;
const CONTENT = 'The handbook says the same thing again. '.repeat(131_072); // 5 MB

async function measure(store: DocumentStore, walBytes?: () => Promise<number>): Promise<string> {
  const ids: string[] = [];
  for (let i = 0; i < DOCUMENTS; i++) {
    const { document } = await store.createDocument({
      id: `doc_lab_${i}`,
      tenantId: 't',
      namespace: 'default',
      contentHash: `hash ${i}`,
      content: `${CONTENT}${i}`,
      title: null,
      mimeType: 'text/plain',
      metadata: {},
      now: 1,
    });
    ids.push(document.id);
  }
  let started = performance.now();
  for (let round = 0; round < ROUNDS; round++)
    for (const id of ids) await store.getDocument('t', id);
  const read = (performance.now() - started) / (ROUNDS * DOCUMENTS);
  const walBefore = await walBytes?.();
  started = performance.now();
  for (let round = 0; round < ROUNDS; round++)
    for (const id of ids)
      await store.updateDocument('t', id, { status: 'processing', stage: 'embed', now: 2 + round });
  const update = (performance.now() - started) / (ROUNDS * DOCUMENTS);
  const wal =
    walBefore === undefined
      ? ''
      : `, ${(((await walBytes!()) - walBefore) / (ROUNDS * DOCUMENTS) / 1024).toFixed(1)} KB of WAL an update`;
  return `a status read ${read.toFixed(3)} ms, a status update ${update.toFixed(3)} ms${wal}`;
}

const url = process.env.ENGRAM_BENCH_DATABASE_URL;
if (url === undefined) {
  const dir = mkdtempSync(join(tmpdir(), 'engram-status-'));
  const database = openSqlite({ path: join(dir, 'engram.db') });
  const store = createSqliteDocumentStore({ db: database.db });
  try {
    console.log(`sqlite, ${DOCUMENTS} documents of 5 MB: ${await measure(store)}`);
  } finally {
    await store.close();
    database.close();
    rmSync(dir, { recursive: true, force: true });
  }
} else {
  const schema = `lab_status_${process.pid}`;
  const database = await openPostgres({ url, schema });
  const store = createPostgresDocumentStore({ pool: database.pool });
  const walBytes = async () =>
    Number(
      (
        await database.pool.query<{ bytes: string }>(
          `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0') AS bytes`,
        )
      ).rows[0]!.bytes,
    );
  try {
    console.log(`postgres, ${DOCUMENTS} documents of 5 MB: ${await measure(store, walBytes)}`);
  } finally {
    await store.close();
    await database.pool.query(`DROP SCHEMA ${schema} CASCADE`);
    await database.close();
  }
}
