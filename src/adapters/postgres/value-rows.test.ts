// How many of a table's rows hold one value, as the planner estimates it from ANALYZE's
// statistics: a common value's own frequency, a rare or unknown value an equal part of the rest
// plus every row written since (it may be new), NULL its null fraction; nothing known before the
// first ANALYZE or after a TRUNCATE, and what was read kept a minute.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dropSchema,
  POSTGRES_URL,
  postgresAvailable,
  uniqueName,
} from '../../../test/support/backends.js';
import { createManualClock } from '../../domain/clock.js';
import { createValueRows } from './value-rows.js';

const available = await postgresAvailable();

describe.runIf(available)('PostgreSQL value rows', () => {
  const schema = uniqueName('valuerows');
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
    const rows = createValueRows(clock, 'notes', 'owner');
    expect(await rows(pool, 'heavy')).toBeUndefined();
    await pool.query('ANALYZE notes');
    // Still what it read: statistics are read at most once a minute.
    expect(await rows(pool, 'heavy')).toBeUndefined();
    clock.advance(60_001);
    const heavy = await rows(pool, 'heavy');
    expect(heavy?.tableRows).toBe(2000);
    expect(heavy?.rows).toBeCloseTo(1200, 5);
    expect((await rows(pool, null))?.rows).toBeCloseTo(200, 5);
    // 600 rows left to 300 distinct values: 2 each, listed or not.
    expect((await rows(pool, 'light-7'))?.rows).toBeCloseTo(2, 3);
    expect((await rows(pool, 'nobody'))?.rows).toBeCloseTo(2, 3);
  });

  it('counts the rows written since ANALYZE as possibly a new value’s, and forgets a TRUNCATE', async () => {
    // The activity statistics the estimate reads are flushed by the session that wrote them.
    await pool.query('SELECT pg_stat_force_next_flush()');
    await pool.query('ANALYZE notes');
    // A user the statistics never saw writes 700 rows (under autovacuum's 10% + 50 they would
    // often stay unanalyzed).
    await pool.query(`INSERT INTO notes SELECT 'newcomer' FROM generate_series(1, 700)`);
    await pool.query('SELECT pg_stat_force_next_flush()');
    const clock = createManualClock();
    const rows = createValueRows(clock, 'notes', 'owner');
    const newcomer = await rows(pool, 'newcomer');
    expect(newcomer?.rows).toBeGreaterThanOrEqual(700);
    expect(newcomer?.tableRows).toBe(2700);
    // A value the statistics listed keeps its share of the rows there are now.
    expect((await rows(pool, 'heavy'))?.rows).toBeCloseTo((1200 / 2000) * 2700, 0);
    // Emptied and filled again with more than ANALYZE counted: its statistics describe another
    // table.
    await pool.query('DELETE FROM notes');
    await pool.query(`INSERT INTO notes SELECT 'heavy' FROM generate_series(1, 3000)`);
    await pool.query('SELECT pg_stat_force_next_flush()');
    clock.advance(60_001);
    expect(await rows(pool, 'heavy')).toBeUndefined();
    await pool.query('ANALYZE notes');
    await pool.query('TRUNCATE notes');
    clock.advance(60_001);
    expect(await rows(pool, 'heavy')).toBeUndefined();
  });
});
