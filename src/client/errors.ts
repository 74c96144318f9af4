// EngramError: what a client call throws when the server refuses it (its code, message and
// request id, from the error body every Engram answer uses) or when no answer came in time.
import type { components } from './generated/api.js';

type ServerError = components['schemas']['ErrorBody']['error'];

/** The server's codes, plus the client's own for answers that never came or were not Engram's. */
export type EngramErrorCode = ServerError['code'] | 'CLIENT_TIMEOUT' | 'UNEXPECTED_RESPONSE';

export class EngramError extends Error {
  readonly code: EngramErrorCode;
  /** HTTP status, or 0 when no answer came. */
  readonly status: number;
  /** The id the server logged the request under (x-request-id). */
  readonly requestId: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: EngramErrorCode,
    message: string,
    options: {
      status: number;
      requestId?: string | undefined;
      details?: Record<string, unknown> | undefined;
      cause?: unknown;
    },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EngramError';
    this.code = code;
    this.status = options.status;
    this.requestId = options.requestId;
    this.details = options.details;
  }
}

function isServerError(value: unknown): value is { error: ServerError } {
  if (typeof value !== 'object' || value === null || !('error' in value)) return false;
  const error = value.error as Partial<ServerError> | null;
  return typeof error?.code === 'string' && typeof error.message === 'string';
}

/** The error for a non-2xx answer whose (parsed) body is `body`. */
export function errorFromResponse(response: Response, body: unknown): EngramError {
  const requestId = response.headers.get('x-request-id') ?? undefined;
  if (isServerError(body)) {
    return new EngramError(body.error.code, body.error.message, {
      status: response.status,
      requestId: body.error.requestId,
      details: body.error.details,
    });
  }
  return new EngramError(
    'UNEXPECTED_RESPONSE',
    `HTTP ${response.status} without an Engram error body (a proxy in between?).`,
    { status: response.status, requestId },
  );
}
