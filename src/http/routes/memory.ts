// Memory endpoints: sessions, turns (working memory), distillation and citations (salience).
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../domain/errors.js';
import {
  MEMORY_KINDS,
  MEMORY_TIERS,
  type MemoryItem,
  type Session,
  type SessionPosition,
} from '../../ports/memory-store.js';
import { decodeCursor, encodeCursor } from '../json-cursor.js';
import { MAX_CITED_IDS, MAX_TURN_CHARS, type MemoryService } from '../../memory/memory-service.js';

/** Most turns one HTTP request may add (the service allows bigger batches for bulk loads). */
export const MAX_TURNS_PER_REQUEST = 500;

const idSchema = z.string().min(1).max(200);
const metadataSchema = z.record(z.string(), z.unknown());

const timeSchema = z
  .union([z.number().int().nonnegative(), z.iso.datetime({ offset: true }), z.iso.date()])
  .describe('ms since epoch, or an ISO 8601 date or date-time');

function toMs(value: number | string): number {
  return typeof value === 'number' ? value : Date.parse(value);
}

const turnSchema = z.object({
  id: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe(
      'Your id for this turn: sending it again (a retry) returns the stored turn, never a duplicate.',
    ),
  speaker: z
    .string()
    .min(1)
    .max(200)
    .describe(
      'Who said it: the chat role (`user`, `assistant`) in an agent’s conversation, or a person’s name in a dialogue between people. Recall reads the kind of conversation from it (docs/recall.md).',
    ),
  content: z.string().min(1).max(MAX_TURN_CHARS),
  at: timeSchema.optional(),
  metadata: metadataSchema.optional(),
});

export const sessionSchema = z.object({
  id: z.string(),
  userId: z.string().nullable(),
  agentId: z.string().nullable(),
  metadata: metadataSchema,
  createdAt: z.string(),
  lastActiveAt: z.string(),
  expiresAt: z.string(),
  turnCount: z.number(),
  distilledThrough: z.number(),
});

export const memoryItemSchema = z.object({
  id: z
    .string()
    .describe('Citation id: send it to POST /v1/memories/cited when the agent used it.'),
  kind: z.enum(MEMORY_KINDS),
  tier: z.enum(MEMORY_TIERS),
  userId: z.string().nullable(),
  sessionId: z.string().nullable(),
  agentId: z.string().nullable(),
  speaker: z.string().nullable(),
  text: z.string(),
  seq: z.number().nullable(),
  occurredAt: z.string(),
  createdAt: z.string(),
  salience: z.number().describe('Current salience (decayed), 0–1.'),
  source: z.object({ turnIds: z.array(z.string()).optional(), memoryId: z.string().optional() }),
  metadata: metadataSchema,
  promotedId: z
    .string()
    .nullable()
    .describe('Set once this episodic item was promoted: the id of its semantic copy.'),
});

const iso = (ms: number) => new Date(ms).toISOString();

export function sessionResponse(session: Session): z.infer<typeof sessionSchema> {
  return {
    id: session.id,
    userId: session.userId,
    agentId: session.agentId,
    metadata: session.metadata,
    createdAt: iso(session.createdAt),
    lastActiveAt: iso(session.lastActiveAt),
    expiresAt: iso(session.expiresAt),
    turnCount: session.turnCount,
    distilledThrough: session.distilledThrough,
  };
}

export function memoryItemResponse(
  item: MemoryItem,
  salience: number,
): z.infer<typeof memoryItemSchema> {
  return {
    id: item.id,
    kind: item.kind,
    tier: item.tier,
    userId: item.userId,
    sessionId: item.sessionId,
    agentId: item.agentId,
    speaker: item.speaker,
    text: item.text,
    seq: item.seq,
    occurredAt: iso(item.occurredAt),
    createdAt: iso(item.createdAt),
    salience,
    source: item.source,
    metadata: item.metadata,
    promotedId: item.promotedId,
  };
}

const sessionParams = z.object({ id: idSchema });

/** Where a page of a session's episodes ended: the last episode's time and id. */
const episodeCursor = z
  .tuple([
    z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER),
    z.string().max(200),
  ])
  .transform(([occurredAt, id]) => ({ occurredAt, id }));

/** Where a page of sessions ended: the activity time and id of its last session. */
const sessionCursor = z
  .tuple([z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), z.string().max(200)])
  .transform(([lastActiveAt, id]): SessionPosition => ({ lastActiveAt, id }));

export function memoryRoutes(memory: MemoryService): FastifyPluginAsyncZod {
  return async (app) => {
    const item = (memoryItem: MemoryItem) =>
      memoryItemResponse(memoryItem, memory.salienceOf(memoryItem));

    app.post(
      '/v1/sessions',
      {
        schema: {
          tags: ['memory'],
          summary: 'Start a session (a conversation whose turns become memory).',
          body: z
            .object({
              userId: idSchema.optional(),
              agentId: idSchema.optional(),
              metadata: metadataSchema.optional(),
            })
            .default({}),
          response: { 201: sessionSchema },
        },
      },
      async (request, reply) => {
        const session = await memory.createSession(request.tenantId, request.body);
        return reply.status(201).send(sessionResponse(session));
      },
    );

    app.get(
      '/v1/sessions',
      {
        schema: {
          tags: ['memory'],
          summary:
            "A user's sessions, most recently active first; pass nextCursor back as cursor for the next page.",
          querystring: z.object({
            userId: idSchema.optional(),
            cursor: z.string().max(500).optional(),
            limit: z.coerce.number().int().min(1).max(1000).default(100),
          }),
          response: {
            200: z.object({
              sessions: z.array(sessionSchema),
              nextCursor: z
                .string()
                .nullable()
                .describe(
                  'Null on the last page. A session active again while you page moves to the first page; none is listed twice.',
                ),
            }),
          },
        },
      },
      async (request) => {
        const { userId, cursor, limit } = request.query;
        const sessions = await memory.listSessions(
          request.tenantId,
          userId ?? null,
          limit,
          cursor === undefined ? undefined : decodeCursor(cursor, sessionCursor),
        );
        const last = sessions.at(-1);
        return {
          sessions: sessions.map(sessionResponse),
          nextCursor:
            sessions.length === limit && last !== undefined
              ? encodeCursor([last.lastActiveAt, last.id])
              : null,
        };
      },
    );

    app.post(
      '/v1/sessions/:id/turns',
      {
        schema: {
          tags: ['memory'],
          summary:
            'Add one turn, or a batch as {turns: [...]}. Stored and searchable by text on return.',
          params: sessionParams,
          body: z.union([
            turnSchema,
            z.object({ turns: z.array(turnSchema).min(1).max(MAX_TURNS_PER_REQUEST) }),
          ]),
          response: {
            201: z.object({
              session: sessionSchema,
              turns: z.array(
                z.object({
                  id: z.string(),
                  seq: z.number().nullable(),
                  tier: z.enum(['working', 'episodic']),
                }),
              ),
            }),
          },
        },
      },
      async (request, reply) => {
        const body = request.body;
        const turns = 'turns' in body ? body.turns : [body];
        const result = await memory.addTurns(
          request.tenantId,
          request.params.id,
          turns.map((turn) => ({
            id: turn.id,
            speaker: turn.speaker,
            content: turn.content,
            at: turn.at === undefined ? undefined : toMs(turn.at),
            metadata: turn.metadata,
          })),
        );
        return reply.status(201).send({
          session: sessionResponse(result.session),
          turns: result.turns.map((turn) => ({
            id: turn.id,
            seq: turn.seq,
            tier: turn.tier === 'working' ? ('working' as const) : ('episodic' as const),
          })),
        });
      },
    );

    app.get(
      '/v1/sessions/:id',
      {
        schema: {
          tags: ['memory'],
          summary: 'The session and its working memory (its last turns, oldest first).',
          params: sessionParams,
          response: {
            200: z.object({ session: sessionSchema, workingMemory: z.array(memoryItemSchema) }),
          },
        },
      },
      async (request) => {
        const { session, turns } = await memory.workingMemory(request.tenantId, request.params.id);
        return { session: sessionResponse(session), workingMemory: turns.map(item) };
      },
    );

    app.get(
      '/v1/sessions/:id/episodes',
      {
        schema: {
          tags: ['memory'],
          summary:
            'The episodes distilled from a session, oldest first, with salience and promotion state; kept after the session ends (404 when the tenant has neither the session nor an episode of it). Pass nextCursor back as cursor for the next page.',
          params: sessionParams,
          querystring: z.object({
            cursor: z.string().max(500).optional(),
            limit: z.coerce.number().int().min(1).max(200).default(50),
          }),
          response: {
            200: z.object({
              episodes: z.array(memoryItemSchema),
              nextCursor: z.string().nullable(),
            }),
          },
        },
      },
      async (request) => {
        const { cursor, limit } = request.query;
        const after = cursor === undefined ? null : decodeCursor(cursor, episodeCursor);
        // One beyond the page says whether another follows.
        const page = await memory.sessionEpisodes(
          request.tenantId,
          request.params.id,
          after,
          limit + 1,
        );
        const shown = page.slice(0, limit);
        const last = shown.at(-1);
        return {
          episodes: shown.map(item),
          nextCursor:
            page.length > limit && last !== undefined
              ? encodeCursor([last.occurredAt, last.id])
              : null,
        };
      },
    );

    app.delete(
      '/v1/sessions/:id',
      {
        schema: {
          tags: ['memory'],
          summary:
            'End a session: its working memory goes, episodic memory stays (purge=true removes everything).',
          params: sessionParams,
          querystring: z.object({ purge: z.enum(['true', 'false']).default('false') }),
          response: { 204: z.null().describe('Deleted') },
        },
      },
      async (request, reply) => {
        await memory.deleteSession(request.tenantId, request.params.id, {
          purge: request.query.purge === 'true',
        });
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/v1/sessions/:id/distill',
      {
        schema: {
          tags: ['memory'],
          summary:
            'Distil the turns that left working memory into episodes now (includeWorking: all turns).',
          params: sessionParams,
          body: z
            .object({ includeWorking: z.boolean().default(false) })
            .default({ includeWorking: false }),
          response: { 200: z.object({ episodes: z.array(memoryItemSchema) }) },
        },
      },
      async (request) => {
        const episodes = await memory.distillSession(request.tenantId, request.params.id, {
          includeWorking: request.body.includeWorking,
        });
        return { episodes: episodes.map(item) };
      },
    );

    app.get(
      '/v1/memories/stats',
      {
        schema: {
          tags: ['memory'],
          summary:
            "How many memories the tenant holds in each tier, and its sessions not expired (the console's overview).",
          response: {
            200: z.object({
              tiers: z.object({
                working: z.number().int(),
                episodic: z.number().int(),
                semantic: z.number().int(),
              }),
              sessions: z.object({
                active: z.number().int().describe('Sessions that have not expired'),
              }),
            }),
          },
        },
      },
      async (request) => {
        const [[working, episodic, semantic], active] = await Promise.all([
          Promise.all(
            MEMORY_TIERS.map((tier) =>
              memory.store.countMemories({ tenantId: request.tenantId, tiers: [tier] }),
            ),
          ),
          memory.store.countActiveSessions(request.tenantId, Date.now()),
        ]);
        return {
          tiers: { working: working!, episodic: episodic!, semantic: semantic! },
          sessions: { active },
        };
      },
    );

    app.get(
      '/v1/memories/:id',
      {
        schema: {
          tags: ['memory'],
          summary: 'One memory item by its citation id.',
          params: z.object({ id: idSchema }),
          response: { 200: memoryItemSchema },
        },
      },
      async (request) => {
        const [found] = await memory.store.getByIds(request.tenantId, [request.params.id]);
        if (found === undefined)
          throw new AppError('MEMORY_NOT_FOUND', `Memory ${request.params.id} does not exist.`);
        return item(found);
      },
    );

    app.post(
      '/v1/memories/cited',
      {
        schema: {
          tags: ['memory'],
          summary:
            'Report the memories an agent used: each one gains salience (salient episodes get promoted).',
          body: z.object({ ids: z.array(idSchema).min(1).max(MAX_CITED_IDS) }),
          response: {
            200: z.object({
              updated: z.array(z.object({ id: z.string(), salience: z.number() })),
              unknownIds: z.array(z.string()),
            }),
          },
        },
      },
      async (request) => memory.cite(request.tenantId, request.body.ids),
    );
  };
}
