// SQLite transactions across stores. The process has one connection, and its stores answer
// synchronously behind their promises, so a body that waits on nothing but them runs from BEGIN
// to COMMIT without the event loop turning: no other request's statement can land inside it. The
// body starts on a fresh turn of the loop, so no other request's continuation is queued with it.
// A body that does wait on the loop (an embedder, a timer) breaks that promise; it is rolled
// back and fails loudly instead of committing what other requests may have slipped in.
import { AppError } from '../../domain/errors.js';
import type { RunInTransaction, StoreTransaction } from '../../ports/stores.js';
import type { SqliteHandle } from './database.js';

export function createSqliteStoreTransaction(
  db: SqliteHandle,
  stores: StoreTransaction,
): RunInTransaction {
  return async (work) => {
    await new Promise((resolve) => setImmediate(resolve));
    db.exec('BEGIN IMMEDIATE');
    let turned = false;
    const probe = setImmediate(() => {
      turned = true;
    });
    try {
      const result = await work(stores);
      if (turned)
        throw new AppError(
          'INTERNAL',
          'A SQLite transaction body waited on the event loop; it was rolled back.',
        );
      db.exec('COMMIT');
      return result;
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw error;
    } finally {
      clearImmediate(probe);
    }
  };
}
