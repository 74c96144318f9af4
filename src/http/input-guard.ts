// The one guard every request passes before its route's schema: text no store can keep as sent
// (NUL characters, which PostgreSQL text refuses; lone UTF-16 surrogates, which both stores would
// turn into U+FFFD so distinct ids collapse) and JSON nested deeper than MAX_INPUT_DEPTH are
// refused with 400 INVALID_INPUT, wherever they are: body, query string, path parameters, or a
// percent-encoding in the URL that is not UTF-8. The checks themselves are in
// domain/input-problems.ts, shared with the MCP server.
import type { FastifyRequest } from 'fastify';
import { AppError } from '../domain/errors.js';
import { findInputProblem } from '../domain/input-problems.js';
import type { EngramApp } from './engram-app.js';

export { findInputProblem, MAX_INPUT_DEPTH } from '../domain/input-problems.js';

const PERCENT_RUN = /(?:%[0-9A-Fa-f]{2})+/g;

/** A percent-encoded byte run in the URL that does not decode as UTF-8 (e.g. %ED%A0%80, %FF). */
function urlProblem(url: string): string | undefined {
  for (const match of url.matchAll(PERCENT_RUN)) {
    try {
      decodeURIComponent(match[0]);
    } catch {
      return `The URL holds ${match[0]}, which is not UTF-8 text; percent-encode UTF-8 bytes only`;
    }
  }
  return undefined;
}

export function checkRequestInput(request: FastifyRequest): string | undefined {
  return (
    urlProblem(request.raw.url ?? '') ??
    findInputProblem(request.params, 'params') ??
    findInputProblem(request.query, 'query') ??
    findInputProblem(request.body, 'body')
  );
}

export function installInputGuard(app: EngramApp): void {
  app.addHook('preValidation', async (request) => {
    // A request that matched no route stores nothing: it gets its 404, whatever its path holds.
    if (request.is404) return;
    const problem = checkRequestInput(request);
    if (problem !== undefined)
      throw new AppError('INVALID_INPUT', `Invalid input: ${problem}.`, {
        details: { problem },
      });
  });
}
