// Opaque page cursors: a position (a tuple of the sort key's values) as base64url JSON, read back
// through a schema so a cursor this server did not issue is a clear 400, never a query.
import type { z } from 'zod';
import { AppError } from '../domain/errors.js';

export function encodeCursor(position: readonly unknown[]): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

export function decodeCursor<T>(cursor: string, schema: z.ZodType<T>): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const read = schema.safeParse(parsed);
  if (!read.success) {
    throw new AppError('VALIDATION_FAILED', 'The cursor is not one this server issued.');
  }
  return read.data;
}
