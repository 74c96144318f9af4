// How an MCP tool answers: JSON text on success; on failure a message the model can read and act
// on (never a protocol error). Arguments no store can keep (NUL, lone surrogates, deep nesting) are
// refused first, as HTTP refuses them.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { errorMessage, isAppError } from '../domain/errors.js';
import { findInputProblem } from '../domain/input-problems.js';

/** A non-empty string argument. */
export const text = z.string().min(1);

function ok(value: unknown): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value, null, 2) }] };
}

function failure(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}

export async function answer(
  input: unknown,
  work: () => Promise<unknown>,
): Promise<CallToolResult> {
  const problem = findInputProblem(input, 'arguments');
  if (problem !== undefined) return failure(`INVALID_INPUT: Invalid input: ${problem}.`);
  try {
    return ok(await work());
  } catch (error) {
    const message = isAppError(error)
      ? `${error.code}: ${error.message}`
      : `INTERNAL: ${errorMessage(error)}`;
    return failure(message);
  }
}
