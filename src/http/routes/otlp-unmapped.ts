// GET /v1/telemetry/unmapped: the OTLP spans, log records and data points a tenant's exporters
// sent that are well formed but that nothing maps, newest first, cursor-paged, filtered by signal
// and name; GET /v1/telemetry/unmapped/counts: how many are held, ever received and dropped past
// the bound, and the held ones per signal, name and reason. Malformed items are not here: the
// export's answer (partialSuccess) rejected them.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../domain/errors.js';
import type { UnmappedService } from '../../telemetry/otlp/unmapped.js';

const signal = z.enum(['traces', 'logs', 'metrics']);

/** Opaque to clients: the id of the last record of a page. */
function encodeCursor(id: number): string {
  return Buffer.from(`unmapped:${id}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): number {
  const match = /^unmapped:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (match === null)
    throw new AppError('VALIDATION_FAILED', 'The cursor is not one this server issued.');
  return Number(match[1]);
}

const recordSchema = z.object({
  id: z.number(),
  signal,
  name: z.string().describe("Span name, log event name or metric name ('' when none)"),
  reason: z.string().describe('Why nothing maps it'),
  receivedAt: z.string(),
  record: z
    .unknown()
    .describe(
      'The span / logRecord / dataPoint as sent, with its resource and scope; null when truncated',
    ),
  truncated: z.boolean(),
  recordPrefix: z
    .string()
    .nullable()
    .describe('The first 64 KiB of the record JSON when it was larger; else null'),
  recordBytes: z.number().describe("Bytes of the whole record's JSON"),
});

export function unmappedRoutes(unmapped: UnmappedService): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/v1/telemetry/unmapped',
      {
        schema: {
          tags: ['telemetry'],
          summary: 'OTLP items nothing maps (kept, bounded per tenant), newest first.',
          description:
            'Well-formed spans, log records and data points of kinds Engram does not map, as sent. ' +
            'Paged: pass the nextCursor of a page as cursor for the next one; nextCursor is null on the last page. ' +
            'Malformed items are rejected in the export answer instead, and are never listed here.',
          querystring: z.object({
            signal: signal.optional(),
            name: z.string().min(1).max(200).optional().describe('Only items of this name'),
            limit: z.coerce.number().int().min(1).max(1000).default(100),
            cursor: z.string().min(1).max(100).optional(),
          }),
          response: {
            200: z.object({ records: z.array(recordSchema), nextCursor: z.string().nullable() }),
          },
        },
      },
      async (request) => {
        const { signal: only, name, limit, cursor } = request.query;
        // One more than asked says whether a next page exists.
        const records = await unmapped.list(request.tenantId, {
          limit: limit + 1,
          ...(cursor === undefined ? {} : { beforeId: decodeCursor(cursor) }),
          ...(only === undefined ? {} : { signal: only }),
          ...(name === undefined ? {} : { name }),
        });
        const page = records.slice(0, limit);
        const last = page.at(-1);
        return {
          records: page,
          nextCursor: records.length > limit && last !== undefined ? encodeCursor(last.id) : null,
        };
      },
    );

    app.get(
      '/v1/telemetry/unmapped/counts',
      {
        schema: {
          tags: ['telemetry'],
          summary:
            'How many OTLP items were kept as unmapped, dropped past the bound, and by name.',
          response: {
            200: z.object({
              held: z.number().describe('Records held now'),
              received: z.number().describe('Records ever kept (a re-sent record counts once)'),
              dropped: z.number().describe('Oldest records deleted past the bound'),
              maxRecords: z.number().describe('ENGRAM_OTLP_MAX_UNMAPPED_PER_TENANT'),
              byName: z
                .array(
                  z.object({ signal, name: z.string(), reason: z.string(), count: z.number() }),
                )
                .describe('Held records per signal, name and reason, most first (at most 200)'),
            }),
          },
        },
      },
      async (request) => unmapped.counts(request.tenantId),
    );
  };
}
