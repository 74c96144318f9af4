// What every event-stream adapter answers when it must refuse instead of dropping data: a
// backlog at its bound (the API turns it into 503 + Retry-After), a malformed dead-letter cursor.
import { AppError } from '../domain/errors.js';

/** Seconds a refused client should wait before resending (the Retry-After header). */
export const BACKLOG_RETRY_AFTER_SECONDS = 2;

/** The refusal of a whole batch by a stream whose backlog has reached its bound. */
export function backlogFullError(backlog: number, maxBacklog: number): AppError {
  return new AppError(
    'UNAVAILABLE',
    `The telemetry stream holds ${backlog} unprocessed events (bound ${maxBacklog}); nothing of this batch was stored. Retry it later (ENGRAM_TELEMETRY_STREAM_MAX_BACKLOG).`,
    {
      retryable: true,
      details: { backlog, maxBacklog, retryAfterSeconds: BACKLOG_RETRY_AFTER_SECONDS },
    },
  );
}

export function invalidCursorError(): AppError {
  return new AppError('VALIDATION_FAILED', 'Invalid cursor: pass the nextCursor of a page.');
}

/** A dead-letter cursor of the SQL stores: a row id (0 = from the start). */
export function sqlCursor(after: string | undefined): number {
  if (after === undefined) return 0;
  if (!/^\d{1,15}$/.test(after)) throw invalidCursorError();
  return Number(after);
}
