// Knowledge-graph endpoints: entity search, one entity with its aliases, facts and first
// mentions, all its mentions page by page, and the neighbourhood of an entity (depth ≤ 3, size
// capped).
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ENTITY_TYPES } from '../../ports/extractor.js';
import type { EntityRecord, RelationWithNames } from '../../ports/graph-store.js';
import { factText } from '../../graph/fact-text.js';
import {
  MAX_NEIGHBORHOOD_DEPTH,
  type GraphService,
  type MentionWithSentence,
} from '../../graph/graph-service.js';
import { decodeCursor, encodeCursor } from '../json-cursor.js';

export const MAX_ENTITY_QUERY_CHARS = 500;

const iso = (ms: number) => new Date(ms).toISOString();

const entitySchema = z.object({
  id: z.string(),
  name: z.string(),
  type: z.enum(ENTITY_TYPES),
  mentionCount: z.number(),
  createdAt: z.string(),
});

const sourcesSchema = z
  .array(z.object({ documentId: z.string(), chunkId: z.string(), sentence: z.string() }))
  .describe('Where the fact was read: document, chunk and the evidence sentence (up to 5).');

const factSchema = z.object({
  id: z.string(),
  text: z
    .string()
    .describe('The fact as a sentence, e.g. "Alice Smith works at Acme Corp (since 2021-01-01)".'),
  subject: z.object({ id: z.string(), name: z.string() }),
  predicate: z.string(),
  object: z.object({ id: z.string(), name: z.string() }),
  validAt: z
    .string()
    .describe(
      'When the fact became true: the date the text states, else when it was first extracted.',
    ),
  invalidAt: z
    .string()
    .nullable()
    .describe('When a newer contradicting fact replaced it; null while current.'),
  invalidatedBy: z.string().nullable(),
});

const mentionSchema = z.object({
  documentId: z.string(),
  chunkId: z.string(),
  surface: z.string(),
  type: z.enum(ENTITY_TYPES),
  sentence: z
    .string()
    .nullable()
    .describe(
      'The sentence of the chunk that holds the mention; null when the chunk no longer has it.',
    ),
});

/**
 * A mention cursor carries the last surface, whose length no extractor bounds: room for any
 * surface that fits in a request line (Node reads at most 16 kB of headers).
 */
const MAX_CURSOR_CHARS = 12_000;

/** Where a page of mentions ended: the last mention's time, document, chunk and surface. */
const mentionCursor = z
  .tuple([
    z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    z.string().max(200),
    z.string().max(200),
    z.string().max(MAX_CURSOR_CHARS),
  ])
  .transform(([createdAt, documentId, chunkId, surface]) => ({
    createdAt,
    documentId,
    chunkId,
    surface,
  }));

/** The cursor that continues after the last of `mentions` (null when there are none). */
function mentionCursorAfter(mentions: MentionWithSentence[]): string | null {
  const last = mentions.at(-1);
  return last === undefined
    ? null
    : encodeCursor([last.createdAt, last.documentId, last.chunkId, last.surface]);
}

function mentionResponse(mention: MentionWithSentence): z.infer<typeof mentionSchema> {
  return {
    documentId: mention.documentId,
    chunkId: mention.chunkId,
    surface: mention.surface,
    type: mention.type,
    sentence: mention.sentence,
  };
}

function entityResponse(entity: EntityRecord): z.infer<typeof entitySchema> {
  return {
    id: entity.id,
    name: entity.name,
    type: entity.type,
    mentionCount: entity.mentionCount,
    createdAt: iso(entity.createdAt),
  };
}

function factResponse(fact: RelationWithNames): z.infer<typeof factSchema> {
  return {
    id: fact.id,
    text: factText(fact),
    subject: { id: fact.subjectId, name: fact.subjectName },
    predicate: fact.predicate,
    object: { id: fact.objectId, name: fact.objectName },
    validAt: iso(fact.validAt),
    invalidAt: fact.invalidAt === null ? null : iso(fact.invalidAt),
    invalidatedBy: fact.invalidatedBy,
  };
}

export function graphRoutes(graph: GraphService): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/v1/entities',
      {
        schema: {
          tags: ['graph'],
          summary:
            'Entities whose name or an alias matches the query (exact, then prefix, then substring; case and legal suffixes ignored), or the entities a document mentions.',
          description:
            'Pass exactly one of query and documentId. With documentId, the entities the document mentions come most mentioned (in it) first; an unknown document has none.',
          querystring: z
            .object({
              query: z.string().min(1).max(MAX_ENTITY_QUERY_CHARS).optional(),
              documentId: z.string().min(1).max(200).optional(),
              limit: z.coerce.number().int().min(1).max(100).default(20),
            })
            .refine((q) => (q.query === undefined) !== (q.documentId === undefined), {
              message: 'Pass exactly one of query and documentId.',
            }),
          response: { 200: z.object({ entities: z.array(entitySchema) }) },
        },
      },
      async (request) => {
        const { query, documentId, limit } = request.query;
        const tenantId = request.tenantId;
        const entities =
          documentId === undefined
            ? await graph.searchEntities({ tenantId, query: query ?? '', limit })
            : await graph.documentEntities({ tenantId, documentId, limit });
        return { entities: entities.map(entityResponse) };
      },
    );

    app.get(
      '/v1/entities/:id',
      {
        schema: {
          tags: ['graph'],
          summary:
            'One entity: its aliases (with how each was matched), its facts (current and superseded) and where it is mentioned.',
          params: z.object({ id: z.string().min(1).max(200) }),
          response: {
            200: z.object({
              entity: entitySchema,
              aliases: z.array(
                z.object({
                  alias: z.string(),
                  method: z.enum(['new', 'exact', 'normalized', 'fuzzy', 'embedding']),
                  score: z.number(),
                  documentId: z.string(),
                  chunkId: z.string(),
                }),
              ),
              facts: z.array(factSchema.extend({ sources: sourcesSchema })),
              mentions: z
                .array(mentionSchema)
                .describe(
                  'The first mentions, oldest first; the rest from GET /v1/entities/{id}/mentions.',
                ),
              mentionsTruncated: z.boolean(),
              mentionsNextCursor: z
                .string()
                .nullable()
                .describe(
                  'When mentions were cut: the cursor for GET /v1/entities/{id}/mentions that continues after the last one shown.',
                ),
              factsTruncated: z.boolean(),
            }),
          },
        },
      },
      async (request) => {
        const detail = await graph.getEntity(request.tenantId, request.params.id);
        return {
          entity: entityResponse(detail.entity),
          aliases: detail.aliases.map((a) => ({
            alias: a.alias,
            method: a.method,
            score: a.score,
            documentId: a.documentId,
            chunkId: a.chunkId,
          })),
          facts: detail.facts.map((fact) => ({ ...factResponse(fact), sources: fact.sources })),
          mentions: detail.mentions.map(mentionResponse),
          mentionsTruncated: detail.mentionsTruncated,
          mentionsNextCursor: detail.mentionsTruncated ? mentionCursorAfter(detail.mentions) : null,
          factsTruncated: detail.factsTruncated,
        };
      },
    );

    app.get(
      '/v1/entities/:id/mentions',
      {
        schema: {
          tags: ['graph'],
          summary:
            "An entity's mentions page by page, oldest first, each with the sentence it was read in; pass nextCursor back as cursor for the next page.",
          params: z.object({ id: z.string().min(1).max(200) }),
          querystring: z.object({
            cursor: z.string().max(MAX_CURSOR_CHARS).optional(),
            limit: z.coerce.number().int().min(1).max(200).default(50),
          }),
          response: {
            200: z.object({ mentions: z.array(mentionSchema), nextCursor: z.string().nullable() }),
          },
        },
      },
      async (request) => {
        const { cursor, limit } = request.query;
        const after = cursor === undefined ? null : decodeCursor(cursor, mentionCursor);
        // One beyond the page says whether another follows.
        const page = await graph.entityMentions(
          request.tenantId,
          request.params.id,
          after,
          limit + 1,
        );
        const shown = page.slice(0, limit);
        return {
          mentions: shown.map(mentionResponse),
          nextCursor: page.length > limit ? mentionCursorAfter(shown) : null,
        };
      },
    );

    app.get(
      '/v1/graph/neighborhood',
      {
        schema: {
          tags: ['graph'],
          summary: `Entities within \`depth\` relations (1–${MAX_NEIGHBORHOOD_DEPTH}) of an entity, nearest first, and the relations among them; capped in size.`,
          querystring: z.object({
            entity: z
              .string()
              .min(1)
              .max(MAX_ENTITY_QUERY_CHARS)
              .describe('An entity id, or a name (the best match is used).'),
            depth: z.coerce.number().int().min(1).max(MAX_NEIGHBORHOOD_DEPTH).default(1),
            limit: z.coerce
              .number()
              .int()
              .min(1)
              .max(200)
              .optional()
              .describe('Most entities returned (the server caps it).'),
            includeInvalid: z
              .enum(['true', 'false'])
              .default('false')
              .describe('Also walk superseded facts.'),
          }),
          response: {
            200: z.object({
              center: entitySchema,
              entities: z.array(entitySchema.extend({ depth: z.number() })),
              relations: z.array(factSchema.extend({ sources: sourcesSchema })),
              truncated: z.boolean().describe('True when the size cap cut the result.'),
            }),
          },
        },
      },
      async (request) => {
        const { query } = request;
        const result = await graph.neighborhood({
          tenantId: request.tenantId,
          entity: query.entity,
          depth: query.depth,
          includeInvalid: query.includeInvalid === 'true',
          ...(query.limit === undefined ? {} : { limit: query.limit }),
        });
        return {
          center: entityResponse(result.center),
          entities: result.entities.map((e) => ({ ...entityResponse(e), depth: e.depth })),
          relations: result.relations.map((fact) => ({
            ...factResponse(fact),
            sources: fact.sources,
          })),
          truncated: result.truncated,
        };
      },
    );
  };
}
