// Runs a callback in one transaction on one pooled client; rolls back on any error. Given a
// client instead of the pool, the caller's transaction is already open and the work joins it.
import pg from 'pg';

/** The pool, or a client inside a transaction: what a store runs its statements on. */
export type Queryable = pg.Pool | pg.PoolClient;

export async function withTransaction<T>(
  db: Queryable,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  if (!(db instanceof pg.Pool)) return work(db);
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
