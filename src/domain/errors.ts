// AppError: every failure a user can see carries a stable code; the HTTP layer maps codes to status.

export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'INVALID_INPUT'
  | 'INPUT_TOO_LARGE'
  | 'NOT_FOUND'
  | 'DOCUMENT_NOT_FOUND'
  | 'SESSION_NOT_FOUND'
  | 'MEMORY_NOT_FOUND'
  | 'USER_NOT_FOUND'
  | 'ENTITY_NOT_FOUND'
  | 'JOB_NOT_FOUND'
  | 'CONFLICT'
  | 'INVALID_STATE'
  | 'EMBEDDER_MISMATCH'
  | 'UNKNOWN_TOKENIZER'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'RATE_LIMITED'
  | 'TIMEOUT'
  | 'UNAVAILABLE'
  | 'PROVIDER_FAILED'
  | 'CONFIG_INVALID'
  | 'INTERNAL';

export interface AppErrorOptions {
  cause?: unknown;
  details?: Record<string, unknown>;
  /** True when trying the same thing again later may succeed (network, lock, overload). */
  retryable?: boolean;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.details = options.details;
    this.retryable = options.retryable ?? false;
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

/** Worth retrying: anything but an AppError that says it is permanent. */
export function isTransientError(error: unknown): boolean {
  if (!isAppError(error)) return true;
  return error.retryable || error.code === 'UNAVAILABLE' || error.code === 'TIMEOUT';
}

/** The message of any thrown value, for logs and stored error fields. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
