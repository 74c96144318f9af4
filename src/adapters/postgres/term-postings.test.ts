// The PostgreSQL term counts the term plan reads, from ANALYZE's most common lexemes: a common
// term counts its rows, and a term outside the list counts one posting, never none (the plan
// reads none as held by no row: such a term would never select alone, and a rare term would be
// passed over for a common one). And the rows a plan selects: its conjunctions' rows, and at most
// its window of the rows holding a scored term.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dropSchema,
  POSTGRES_URL,
  postgresAvailable,
  uniqueName,
} from '../../../test/support/backends.js';
import { systemClock } from '../../domain/clock.js';
import { createTermPostings, selectedRows } from './term-postings.js';

const available = await postgresAvailable();

describe.runIf(available)('PostgreSQL term postings and the rows a plan selects', () => {
  const schema = uniqueName('terms');
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 });

  beforeAll(async () => {
    await pool.query(`CREATE SCHEMA "${schema}"`);
    await pool.query(`SET search_path TO "${schema}"`);
  });
  afterAll(async () => {
    await pool.end();
    await dropSchema(schema);
  });
  /** Runs `body` on a connection of the pool whose search path is the test's schema. */
  async function inSchema(body: (client: pg.PoolClient) => Promise<void>): Promise<void> {
    const client = await pool.connect();
    try {
      await client.query(`SET search_path TO "${schema}"`);
      await body(client);
    } finally {
      client.release();
    }
  }

  it('counts a common term’s rows and gives terms outside the statistics one posting', () =>
    inSchema(async (client) => {
      await client.query('CREATE TABLE notes (body tsvector)');
      // 2,000 rows: "invoice" in every row, "refund" in one in ten, "zebra" in one row only.
      await client.query(
        `INSERT INTO notes SELECT to_tsvector('english',
           'invoice ' || CASE WHEN i % 10 = 0 THEN 'refund ' ELSE '' END ||
           CASE WHEN i = 7 THEN 'zebra' ELSE 'ledger' || (i % 500) END)
         FROM generate_series(1, 2000) AS i`,
      );
      const read = createTermPostings(systemClock, 'notes', 'body');
      // Before ANALYZE there are no statistics: every term is rare, none is absent.
      const before = await read(client, ['invoice', 'zebra']);
      expect(before.terms.map((t) => t.postings)).toEqual([1, 1]);
      await client.query('ANALYZE notes');
      // A new reader: one keeps what it read a minute.
      const after = await createTermPostings(
        systemClock,
        'notes',
        'body',
      )(client, ['invoices', 'refund', 'zebra', 'unicorn', 'the']);
      expect(after.rows).toBe(2000);
      const postings = Object.fromEntries(after.terms.map((t) => [t.term, t.postings]));
      expect(postings['invoices']).toBe(2000);
      expect(postings['refund']).toBeGreaterThan(100);
      expect(postings['refund']).toBeLessThan(400);
      expect(postings['zebra']).toBe(1);
      expect(postings['unicorn']).toBe(1);
      // A stop word has no lexeme: it is in no query, so not in the plan either.
      expect(postings['the']).toBeUndefined();
    }));

  it('selects its conjunctions’ rows and at most a window of the rest, each once, within its conditions', () =>
    inSchema(async (client) => {
      // Tenant b's 3,000 rows come first in the table, then tenant a's 3,000, all holding
      // "invoice": a's last holds it three times and scores best, then a's row 50, which holds
      // "zebra" too (and is in a's first hundred).
      await client.query('CREATE TABLE letters (id int, tenant text, body tsvector)');
      await client.query(
        `INSERT INTO letters SELECT i, CASE WHEN i > 3000 THEN 'b' ELSE 'a' END,
           to_tsvector('english', CASE WHEN i = 3000 THEN 'invoice invoice invoice'
             WHEN i = 50 THEN 'invoice zebra' ELSE 'invoice ledger' || i END)
         FROM generate_series(3001, 6000) AS i`,
      );
      await client.query(
        `INSERT INTO letters SELECT i, 'a', to_tsvector('english', CASE WHEN i = 3000
           THEN 'invoice invoice invoice' WHEN i = 50 THEN 'invoice zebra'
           ELSE 'invoice ledger' || i END)
         FROM generate_series(1, 3000) AS i`,
      );
      const rows = (selecting: string | null, windowRows: number | null) =>
        client.query<{ id: number; score: number }>(
          `SELECT id, score FROM (${selectedRows({
            from: 'letters x',
            id: 'x.id',
            tsv: 'x.body',
            score: 'ts_rank_cd(x.body, q)',
            where: `x.tenant = 'a'`,
            selecting,
            scoring: '$1',
            windowRows,
          })}) r ORDER BY score DESC, id`,
          selecting === '$2' ? ['invoice | zebra', 'zebra'] : ['invoice | zebra'],
        );
      const every = await rows('$1', null);
      expect(every.rows).toHaveLength(3000);
      expect(every.rows.slice(0, 2).map((row) => row.id)).toEqual([3000, 50]);
      // A window of 100: a's first hundred in table order, not the 3,000 holding a term, nor b's.
      const windowed = await rows(null, 100);
      expect(windowed.rows.map((row) => row.id).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 100 }, (_, i) => i + 1),
      );
      // With a conjunction too, whose row is in the window: once, with the plain query's score.
      const both = await rows('$2', 100);
      expect(both.rows).toEqual(windowed.rows);
      expect(both.rows[0]).toEqual(every.rows[1]);
      // Neither: no rows.
      expect((await rows(null, null)).rows).toEqual([]);
    }));
});
