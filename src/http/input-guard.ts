// The one guard every request passes before its route's schema: text no store can keep as sent
// (NUL characters, which PostgreSQL text refuses; lone UTF-16 surrogates, which both stores would
// turn into U+FFFD so distinct ids collapse) and JSON nested deeper than MAX_INPUT_DEPTH are
// refused with 400 INVALID_INPUT, wherever they are: body, query string, path parameters, or a
// percent-encoding in the URL that is not UTF-8.
import type { FastifyRequest } from 'fastify';
import { AppError } from '../domain/errors.js';
import type { EngramApp } from './engram-app.js';

/** Deepest nesting of objects and arrays a request may carry (metadata included). */
export const MAX_INPUT_DEPTH = 32;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const PERCENT_RUN = /(?:%[0-9A-Fa-f]{2})+/g;

function textProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'contains a NUL character (\\u0000), which cannot be stored';
  if (LONE_SURROGATE.test(text))
    return 'contains a lone UTF-16 surrogate (not valid Unicode); send well-formed UTF-8';
  return undefined;
}

function describeKey(where: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${where}.${key}` : `${where}[${JSON.stringify(key)}]`;
}

/**
 * The first problem in `value`, as "where: what", or undefined. Walks with its own stack, so a
 * body nested a million levels deep is reported, not a stack overflow.
 */
export function findInputProblem(
  value: unknown,
  where: string,
  maxDepth = MAX_INPUT_DEPTH,
): string | undefined {
  const stack: Array<{ value: unknown; where: string; depth: number }> = [
    { value, where, depth: 0 },
  ];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (typeof item.value === 'string') {
      const problem = textProblem(item.value);
      if (problem !== undefined) return `${item.where} ${problem}`;
      continue;
    }
    // Binary bodies (a protobuf or octet-stream parser's Buffer) are bytes, not text or nesting.
    if (typeof item.value !== 'object' || item.value === null || ArrayBuffer.isView(item.value))
      continue;
    if (item.depth >= maxDepth)
      return `${item.where} is nested deeper than ${maxDepth} levels; flatten it`;
    if (Array.isArray(item.value)) {
      item.value.forEach((element, index) =>
        stack.push({ value: element, where: `${item.where}[${index}]`, depth: item.depth + 1 }),
      );
      continue;
    }
    for (const [key, element] of Object.entries(item.value)) {
      const keyProblem = textProblem(key);
      if (keyProblem !== undefined) return `a key in ${item.where} ${keyProblem}`;
      stack.push({ value: element, where: describeKey(item.where, key), depth: item.depth + 1 });
    }
  }
  return undefined;
}

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
