// The HNSW search breadth grows with the index (pgvector.ts, hnswSearchBreadth): a graph finds
// less of the exact top 10 at one breadth as it grows, so a 1M-vector index is searched wider
// than a 100k one; and the breadth a search sets is the one its transaction runs with, and the
// form it orders by the one its index holds.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dropSchema,
  POSTGRES_URL,
  postgresAvailable,
  uniqueName,
} from '../../../test/support/backends.js';
import { beginHnswSearch, exactFirst, hnswIndexSql, hnswSearchBreadth } from './pgvector.js';

const available = await postgresAvailable();

describe('hnswSearchBreadth', () => {
  it('searches at least 200 wide, as wide as the rows wanted, and one wider a thousand vectors', () => {
    expect(hnswSearchBreadth(10)).toBe(200);
    expect(hnswSearchBreadth(10, 100_000)).toBe(200);
    expect(hnswSearchBreadth(10, 200_001)).toBe(201);
    expect(hnswSearchBreadth(10, 250_000)).toBe(250);
    expect(hnswSearchBreadth(10, 999_000)).toBe(999);
    expect(hnswSearchBreadth(300, 100_000)).toBe(300);
    expect(hnswSearchBreadth(300, 400_000)).toBe(400);
  });

  it("never past pgvector's largest breadth", () => {
    expect(hnswSearchBreadth(10, 1_000_000)).toBe(1000);
    expect(hnswSearchBreadth(10, 50_000_000)).toBe(1000);
    expect(hnswSearchBreadth(5000, 0)).toBe(1000);
  });

  it('weighs the wider search when choosing an exact scan of a scope instead', () => {
    // 20 visits' cost a row (HNSW_VISIT_COST): a scope of 19,999 rows is cheaper than 1,000 visits.
    expect(exactFirst(19_999, 1_000_000, 10)).toBe(true);
    expect(exactFirst(20_001, 1_000_000, 10)).toBe(false);
    // At 100k the breadth is 200, but a scope of 3,999 rows makes the scan visit 250 tuples first.
    expect(exactFirst(3_999, 100_000, 10)).toBe(true);
    expect(exactFirst(5_001, 100_000, 10)).toBe(false);
  });
});

describe.runIf(available)('beginHnswSearch, on PostgreSQL', () => {
  let client: pg.Client;
  const schema = uniqueName('hnswform');
  const other = uniqueName('hnswother');
  beforeAll(async () => {
    client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    // Loads pgvector's library, which defines its settings (ef_search 40 by default).
    await client.query(`SELECT '[1]'::vector`);
    for (const name of [schema, other])
      await client.query(
        `CREATE SCHEMA ${name}; CREATE TABLE ${name}.items (id int, embedding vector(8))`,
      );
    // The other schema on the path too: an index found by name alone would be its.
    await client.query(`SET search_path = ${schema}, ${other}, public`);
  });
  afterAll(async () => {
    await client.end();
    await dropSchema(schema);
    await dropSchema(other);
  });

  /** What beginHnswSearch says of the index `name`, in a transaction of its own. */
  async function formOf(name: string) {
    await client.query('BEGIN');
    try {
      return await beginHnswSearch(client as unknown as pg.PoolClient, 10, 0, name);
    } finally {
      await client.query('COMMIT');
    }
  }

  it('says which form the named index of this schema holds its vectors in, if there is one', async () => {
    expect(await formOf('items_hnsw')).toBeUndefined();
    // One of another schema (on the search path) is not this one's.
    await client.query(
      `CREATE INDEX items_hnsw ON ${other}.items USING hnsw ((embedding::vector(8)) vector_cosine_ops)`,
    );
    expect(await formOf('items_hnsw')).toBeUndefined();
    // As an earlier version built them.
    await client.query(
      'CREATE INDEX items_hnsw ON items USING hnsw ((embedding::vector(8)) vector_cosine_ops)',
    );
    expect(await formOf('items_hnsw')).toBe('vector');
    // As this one does.
    await client.query(
      `DROP INDEX items_hnsw; ${hnswIndexSql('items_hnsw', 'items', 'embedding', 8)!}`,
    );
    expect(await formOf('items_hnsw')).toBe('halfvec');
    // An invalid index serves no search.
    await client.query(
      `UPDATE pg_index SET indisvalid = false WHERE indexrelid = '${schema}.items_hnsw'::regclass`,
    );
    expect(await formOf('items_hnsw')).toBeUndefined();
  });

  it('takes only the names Engram gives its indexes', async () => {
    await expect(formOf("x'; DROP TABLE items; --")).rejects.toThrow(/not an index name/);
  });

  it("sets the breadth for the index's size and an iterative scan, for its transaction only", async () => {
    const setting = async (name: string) =>
      (
        await client.query<{ value: string | null }>(`SELECT current_setting($1, true) AS value`, [
          name,
        ])
      ).rows[0]!.value;
    const outside = await setting('hnsw.ef_search');
    await client.query('BEGIN');
    await beginHnswSearch(client as unknown as pg.PoolClient, 10, 640_000, 'items_hnsw');
    expect(await setting('hnsw.ef_search')).toBe('640');
    expect(await setting('hnsw.iterative_scan')).toBe('relaxed_order');
    await client.query('COMMIT');
    expect(await setting('hnsw.ef_search')).toBe(outside);
  });
});
