// The body of every error answer, as a schema: the error handler's type and the OpenAPI
// component (ErrorBody) the clients' error types are generated from.
import { z } from 'zod';
import type { ErrorCode } from '../domain/errors.js';
import { STATUS_OF } from './error-status.js';

const ERROR_CODES = Object.keys(STATUS_OF) as [ErrorCode, ...ErrorCode[]];

export const errorBodySchema = z.object({
  error: z.object({
    code: z.enum(ERROR_CODES).describe('Stable: branch on it, not on the message.'),
    message: z.string().describe('What went wrong and what to do about it.'),
    requestId: z.string().describe('Also in the x-request-id header and the server log.'),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});

export type ErrorBody = z.infer<typeof errorBodySchema>;

/** The schema as an OpenAPI 3.0 component. */
export function errorBodyComponent(): Record<string, unknown> {
  return z.toJSONSchema(errorBodySchema, { target: 'openapi-3.0' });
}
