// Which thrown errors mean "a dependency did not answer" (Redis frozen or gone, PostgreSQL
// restarting or out of connections, SQLite busy) rather than a bug: the HTTP layer answers those
// 503 with Retry-After, because trying again shortly can succeed, instead of a 500.

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  // SQLite: another writer holds the lock past busy_timeout.
  'SQLITE_BUSY',
  // PostgreSQL: shutting down, starting up, out of connections, connection failures.
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '08000',
  '08001',
  '08003',
  '08006',
]);

const MESSAGES = [
  /^Command timed out$/, // ioredis commandTimeout
  /^Connection is closed\.?$/, // ioredis after a disconnect
  /^Stream isn't writeable/, // ioredis without an offline queue
  /^Reached the max retries per request limit/, // ioredis MaxRetriesPerRequestError
  /^Connection terminated/, // pg
  /^timeout exceeded when trying to connect$/, // pg pool
  /^LOADING /, // Redis still loading its data set
];

export function isDependencyUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message, name } = error as { code?: unknown; message?: unknown; name?: unknown };
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  if (name === 'MaxRetriesPerRequestError') return true;
  return typeof message === 'string' && MESSAGES.some((pattern) => pattern.test(message));
}
