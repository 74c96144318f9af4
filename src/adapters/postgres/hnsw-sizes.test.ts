// A server whose HNSW graphs outgrow shared_buffers says so at start (hnsw-sizes.ts): the sizes
// read are this schema's valid Engram indexes (not another schema's, not an index Engram did not
// make, not an invalid one), the server's own setting and the database's size; the warning comes
// exactly when the graphs are larger, with the database's size to weigh the advice against; a
// server that cannot be asked logs that and does not stop the start.
import { Writable } from 'node:stream';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../domain/logger.js';
import {
  dropSchema,
  POSTGRES_URL,
  postgresAvailable,
  uniqueName,
} from '../../../test/support/backends.js';
import {
  hnswSizesWarning,
  logHnswSizes,
  readHnswSizes,
  warnIfHnswOutgrowsBuffers,
} from './hnsw-sizes.js';
import { CHUNK_VECTOR_INDEX, memoryVectorIndex, vectorLiteral } from './pgvector.js';

const available = await postgresAvailable();

/** A logger whose lines are kept, parsed. */
function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger('info', destination), lines };
}

describe('hnswSizesWarning and logHnswSizes', () => {
  const sizes = (indexBytes: number, sharedBuffersBytes: number) => ({
    indexes: [{ name: CHUNK_VECTOR_INDEX, bytes: indexBytes }],
    indexBytes,
    sharedBuffersBytes,
    databaseBytes: 7 * 2 ** 30,
  });

  it('says nothing while the graphs fit, and names both sizes once they do not', () => {
    expect(hnswSizesWarning(sizes(0, 128 * 2 ** 20))).toBeUndefined();
    expect(hnswSizesWarning(sizes(128 * 2 ** 20, 128 * 2 ** 20))).toBeUndefined();
    const warning = hnswSizesWarning(sizes(128 * 2 ** 20 + 1, 128 * 2 ** 20));
    expect(warning).toContain('take 129 MB');
    expect(warning).toContain('shared_buffers (128 MB)');
    expect(warning).toContain('Set shared_buffers above 129 MB');
    expect(warning).toContain('only if');
    expect(warning).toContain('(7168 MB on disk)');
  });

  it('logs the warning with the sizes once, and nothing while the graphs fit', () => {
    const { logger, lines } = capturingLogger();
    logHnswSizes(sizes(128 * 2 ** 20, 128 * 2 ** 20), logger);
    expect(lines).toEqual([]);
    logHnswSizes(sizes(3 * 2 ** 30, 128 * 2 ** 20), logger);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 40,
      indexMb: 3072,
      sharedBuffersMb: 128,
      databaseMb: 7168,
      indexes: [CHUNK_VECTOR_INDEX],
      msg: hnswSizesWarning(sizes(3 * 2 ** 30, 128 * 2 ** 20)),
    });
  });
});

describe.runIf(available)('the HNSW indexes against shared_buffers, on PostgreSQL', () => {
  const schema = uniqueName('hnsw_sizes');
  const other = uniqueName('hnsw_sizes_other');
  let pool: pg.Pool;

  beforeAll(async () => {
    pool = new pg.Pool({
      connectionString: POSTGRES_URL,
      max: 1,
      options: `-c search_path=${schema},public`,
    });
    const vectors = Array.from({ length: 300 }, (_, i) =>
      vectorLiteral(Float32Array.from({ length: 8 }, (_, j) => Math.sin(i * 3.1 + j))),
    );
    for (const name of [schema, other]) {
      await pool.query(`CREATE SCHEMA ${name}`);
      await pool.query(`CREATE TABLE ${name}.items (id int, embedding vector(8))`);
      await pool.query(
        `INSERT INTO ${name}.items SELECT i, v::vector FROM unnest($1::text[]) WITH ORDINALITY AS t(v, i)`,
        [vectors],
      );
      await pool.query(
        `CREATE INDEX ${CHUNK_VECTOR_INDEX} ON ${name}.items USING hnsw (embedding vector_cosine_ops)`,
      );
    }
    // Engram's memory index, an HNSW index Engram did not make, and one left invalid.
    await pool.query(
      `CREATE INDEX ${memoryVectorIndex(8)} ON items USING hnsw (embedding vector_l2_ops)`,
    );
    await pool.query(`CREATE INDEX not_engrams_hnsw ON items USING hnsw (embedding vector_l2_ops)`);
    await pool.query(
      `CREATE INDEX ${memoryVectorIndex(9)} ON items USING hnsw (embedding vector_ip_ops)`,
    );
    await pool.query(
      `UPDATE pg_index SET indisvalid = false WHERE indexrelid = '${memoryVectorIndex(9)}'::regclass`,
    );
  });
  afterAll(async () => {
    await pool.end();
    await dropSchema(schema);
    await dropSchema(other);
  });

  it("reads this schema's valid Engram indexes and the server's shared_buffers", async () => {
    const sizes = await readHnswSizes(pool);
    const { rows } = await pool.query<{
      name: string;
      bytes: string;
      shared: string;
      database: string;
    }>(
      `SELECT c.relname AS name, pg_relation_size(c.oid) AS bytes,
         pg_size_bytes(current_setting('shared_buffers')) AS shared,
         pg_database_size(current_database()) AS database
       FROM pg_class c WHERE c.relnamespace = $1::regnamespace
         AND c.relname IN ($2, $3) ORDER BY c.relname`,
      [schema, CHUNK_VECTOR_INDEX, memoryVectorIndex(8)],
    );
    expect(sizes.indexes.map((index) => index.name).sort()).toEqual(
      [CHUNK_VECTOR_INDEX, memoryVectorIndex(8)].sort(),
    );
    for (const row of rows) {
      expect(Number(row.bytes)).toBeGreaterThan(8192);
      expect(sizes.indexes.find((index) => index.name === row.name)!.bytes).toBe(Number(row.bytes));
    }
    expect(sizes.indexBytes).toBe(rows.reduce((sum, row) => sum + Number(row.bytes), 0));
    expect(sizes.sharedBuffersBytes).toBe(Number(rows[0]!.shared));
    expect(sizes.sharedBuffersBytes).toBeGreaterThan(0);
    // Other suites write to the same database meanwhile: within a few MB of the size read here,
    // and at least these two schemas' tables and indexes.
    expect(Math.abs(sizes.databaseBytes - Number(rows[0]!.database))).toBeLessThan(64 * 2 ** 20);
    expect(sizes.databaseBytes).toBeGreaterThan(sizes.indexBytes);
  });

  it('reads no indexes in a schema without any', async () => {
    const empty = uniqueName('hnsw_sizes_empty');
    const client = new pg.Pool({
      connectionString: POSTGRES_URL,
      max: 1,
      options: `-c search_path=${empty},public`,
    });
    try {
      await client.query(`CREATE SCHEMA ${empty}`);
      const sizes = await readHnswSizes(client);
      expect(sizes.indexes).toEqual([]);
      expect(sizes.indexBytes).toBe(0);
      expect(sizes.sharedBuffersBytes).toBeGreaterThan(0);
    } finally {
      await client.end();
      await dropSchema(empty);
    }
  });

  it('reads the sizes without waiting for a lock someone holds on an index', async () => {
    const holder = new pg.Client({ connectionString: POSTGRES_URL });
    await holder.connect();
    try {
      await holder.query(`BEGIN; REINDEX INDEX ${schema}.${CHUNK_VECTOR_INDEX}`);
      await pool.query(`SET statement_timeout = '2s'`);
      expect((await readHnswSizes(pool)).indexes).toHaveLength(2);
    } finally {
      await pool.query('RESET statement_timeout');
      await holder.query('ROLLBACK');
      await holder.end();
    }
  });

  it('logs nothing while the graphs fit, and a warning when the server cannot be asked', async () => {
    const { logger, lines } = capturingLogger();
    await warnIfHnswOutgrowsBuffers(pool, logger);
    expect(lines).toEqual([]);

    const closed = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
    await closed.end();
    await expect(warnIfHnswOutgrowsBuffers(closed, logger)).resolves.toBeUndefined();
    expect(lines.map((line) => line.msg)).toEqual([
      'could not compare the HNSW indexes with shared_buffers',
    ]);
  });
});
