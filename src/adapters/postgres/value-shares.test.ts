// The share of a table's rows holding one value, as the planner estimates it from ANALYZE's
// statistics: a common value's own frequency, a rare or unknown value an equal part of the rest,
// NULL its null fraction; nothing known before the first ANALYZE, and what was read kept a minute.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dropSchema,
  POSTGRES_URL,
  postgresAvailable,
  uniqueName,
} from '../../../test/support/backends.js';
import { createManualClock } from '../../domain/clock.js';
import { createValueShares } from './value-shares.js';

const available = await postgresAvailable();

describe.runIf(available)('PostgreSQL value shares', () => {
  const schema = uniqueName('shares');
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });

  beforeAll(async () => {
    await pool.query(`CREATE SCHEMA "${schema}"`);
    await pool.query(`SET search_path TO "${schema}"`);
    // 2,000 rows: "heavy" in 1,200, NULL in 200, and 300 other users holding two rows each.
    await pool.query('CREATE TABLE notes (owner text)');
    await pool.query(
      `INSERT INTO notes SELECT CASE WHEN i <= 1200 THEN 'heavy' WHEN i <= 1400 THEN NULL
         ELSE 'light-' || (i % 300) END FROM generate_series(1, 2000) AS i`,
    );
  });
  afterAll(async () => {
    await pool.end();
    await dropSchema(schema);
  });

  it('knows nothing before ANALYZE, then reads the planner’s estimate once a minute', async () => {
    const clock = createManualClock();
    const share = createValueShares(clock, 'notes', 'owner');
    expect(await share(pool, 'heavy')).toBeUndefined();
    await pool.query('ANALYZE notes');
    // Still what it read: statistics are read at most once a minute.
    expect(await share(pool, 'heavy')).toBeUndefined();
    clock.advance(60_001);
    const heavy = await share(pool, 'heavy');
    expect(heavy?.tableRows).toBe(2000);
    expect(heavy?.share).toBeCloseTo(0.6, 5);
    expect((await share(pool, null))?.share).toBeCloseTo(0.1, 5);
    // 600 rows left to 300 distinct values: 0.001 each, listed or not.
    expect((await share(pool, 'light-7'))?.share).toBeCloseTo(0.001, 4);
    expect((await share(pool, 'nobody'))?.share).toBeCloseTo(0.001, 4);
  });
});
