// The HTTP error handler: every failure becomes {error: {code, message, requestId}} with the
// status from STATUS_OF. A 5xx never shows internals; the log line has them, under the same id.
import type {
  FastifyError,
  FastifyReply,
  FastifyRequest,
  preHandlerAsyncHookHandler,
} from 'fastify';
import type { EngramApp } from './engram-app.js';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError, isAppError, type ErrorCode } from '../domain/errors.js';
import { isDependencyUnavailable } from './dependency-errors.js';
import type { ErrorBody } from './error-body.js';
import { STATUS_OF } from './error-status.js';

/** Retry-After for a 503 whose error does not name its own. */
const DEFAULT_RETRY_AFTER_SECONDS = 2;
/** 5xx codes whose details are written for the caller (what was stored, when to retry). */
const CALLER_DETAILS = new Set<ErrorCode>(['UNAVAILABLE', 'TIMEOUT']);

export function toAppError(error: unknown): AppError {
  if (isAppError(error)) return error;
  const fastifyError = error as Partial<FastifyError> & { validation?: unknown };
  if (hasZodFastifySchemaValidationErrors(error)) {
    const problems = error.validation.map((issue) => {
      const where = `${error.validationContext ?? 'request'}${issue.instancePath.replace(/\//g, '.')}`;
      return `${where}: ${issue.message ?? 'is invalid'}`;
    });
    return new AppError('VALIDATION_FAILED', `Invalid request: ${problems.join('; ')}`, {
      details: { problems },
    });
  }
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError(
        'INPUT_TOO_LARGE',
        'The request body is larger than this server reads (ENGRAM_BODY_LIMIT_BYTES; a route may set a lower limit of its own). Send less per request: a large document as a multipart upload (limited by ENGRAM_MAX_DOCUMENT_BYTES) or split into several.',
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('VALIDATION_FAILED', 'Unsupported Content-Type: send application/json.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new AppError(
        'VALIDATION_FAILED',
        `Request body is not valid JSON: ${fastifyError.message ?? ''}`,
      );
    default:
      break;
  }
  if (fastifyError.statusCode === 429)
    return new AppError('RATE_LIMITED', fastifyError.message ?? 'Too many requests.');
  if (
    typeof fastifyError.statusCode === 'number' &&
    fastifyError.statusCode >= 400 &&
    fastifyError.statusCode < 500
  ) {
    return new AppError('VALIDATION_FAILED', fastifyError.message ?? 'Bad request.');
  }
  if (isDependencyUnavailable(error)) {
    return new AppError(
      'UNAVAILABLE',
      'A storage or queue service did not answer in time; retry shortly.',
      {
        cause: error,
        retryable: true,
        details: { retryAfterSeconds: DEFAULT_RETRY_AFTER_SECONDS },
      },
    );
  }
  return new AppError('INTERNAL', 'Internal error. Report the requestId to the operator.', {
    cause: error,
  });
}

function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const appError = toAppError(error);
  const status = STATUS_OF[appError.code];
  if (status >= 500) request.log.error({ err: error, code: appError.code }, 'request failed');
  else request.log.info({ code: appError.code, message: appError.message }, 'request rejected');
  const body: ErrorBody = {
    error: { code: appError.code, message: appError.message, requestId: request.id },
  };
  if ((status < 500 || CALLER_DETAILS.has(appError.code)) && appError.details !== undefined)
    body.error.details = appError.details;
  const retryAfter = appError.details?.retryAfterSeconds;
  if (appError.code === 'RATE_LIMITED' && typeof retryAfter === 'number')
    void reply.header('retry-after', String(retryAfter));
  if (appError.code === 'UNAVAILABLE')
    void reply.header(
      'retry-after',
      String(typeof retryAfter === 'number' ? retryAfter : DEFAULT_RETRY_AFTER_SECONDS),
    );
  return reply.header('x-request-id', request.id).status(status).send(body);
}

/**
 * Errors the router raises before any route or hook runs (Fastify's `frameworkErrors`): a path
 * whose percent-encoding is not UTF-8, a path parameter past the router's length limit.
 */
export function sendFrameworkError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  let appError: AppError | FastifyError = error;
  if (error.code === 'FST_ERR_BAD_URL')
    appError = new AppError(
      'INVALID_INPUT',
      'Invalid input: the URL path holds a percent-encoding that is not UTF-8 text; percent-encode UTF-8 bytes only.',
    );
  else if (error.code === 'FST_ERR_MAX_PARAM_LENGTH')
    appError = new AppError(
      'INPUT_TOO_LARGE',
      'A path parameter is too long; ids are at most 200 characters.',
    );
  void sendError(appError, request, reply);
}

export function installErrorHandler(app: EngramApp): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) =>
    sendError(error, request, reply),
  );
}

/**
 * The answer to a request that matched no route. It does not repeat the URL: that is the
 * caller's own text (tokens in a query string, markup), and it is in the log under requestId.
 * `hooks.preHandler` (the rate limiter) runs for it as it does for every route.
 */
export function installNotFoundHandler(
  app: EngramApp,
  hooks: { preHandler?: preHandlerAsyncHookHandler } = {},
): void {
  app.setNotFoundHandler(hooks, (request, reply) => {
    const body: ErrorBody = {
      error: {
        code: 'NOT_FOUND',
        message: `No route answers ${request.method} on this path. See /docs for the routes.`,
        requestId: request.id,
      },
    };
    return reply.status(404).send(body);
  });
}
