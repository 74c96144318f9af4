// CSV (csv-parse) and JSON to structured text as records: one block per row or array element,
// written as "field: value; field: value", so a chunk holds whole records and search finds a
// record by any of its values.
import { parse as parseCsv } from 'csv-parse/sync';
import { AppError, errorMessage } from '../../domain/errors.js';
import { StructuredTextBuilder, type StructuredText } from './structured-text.js';

export function parseCsvRecords(text: string): StructuredText {
  let rows: Record<string, string>[];
  try {
    rows = parseCsv(text, {
      columns: true,
      skip_empty_lines: true,
      relax_column_count: true,
      bom: true,
      trim: true,
    });
  } catch (error) {
    throw invalid('CSV', error);
  }
  const builder = new StructuredTextBuilder();
  for (const row of rows) builder.block('record', recordText(row));
  return builder.build();
}

export function parseJsonRecords(text: string): StructuredText {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw invalid('JSON', error);
  }
  const builder = new StructuredTextBuilder();
  // An array is a list of records; an object is one record per top-level key.
  let records: unknown[] = [data];
  if (Array.isArray(data)) records = data as unknown[];
  else if (typeof data === 'object' && data !== null) {
    records = Object.entries(data as Record<string, unknown>).map(
      ([key, value]): Record<string, unknown> => ({ [key]: value }),
    );
  }
  for (const record of records) builder.block('record', recordText(record));
  return builder.build();
}

function recordText(record: unknown): string {
  if (typeof record !== 'object' || record === null) return String(record);
  return Object.entries(record)
    .map(([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join('; ');
}

function invalid(format: string, error: unknown): AppError {
  return new AppError(
    'INVALID_INPUT',
    `The ${format} could not be parsed: ${errorMessage(error)}. Fix it and send it again.`,
    { cause: error },
  );
}
