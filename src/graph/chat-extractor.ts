// The `openai` extractor: asks a chat model (any OpenAI-compatible server, through the chat-model
// port) for the entities and relations of each chunk as JSON matching a zod schema whose entity
// types and predicates are closed lists (the graph's canonical predicates, or `other` with a verb),
// sent as strict response_format json_schema where the server takes it. The port validates the
// reply and asks up to twice for a repair, showing the model its reply and the issues. A chunk
// whose reply is still invalid is left out and reported as a failure (the document completes; the
// graph service counts it on the document and in metrics); a transport error or refusal fails the
// whole extraction, so the job is retried.
import { z } from 'zod';
import { isAppError } from '../domain/errors.js';
import type { ChatModel } from '../ports/chat-model.js';
import {
  ENTITY_TYPES,
  type ChunkText,
  type EntityType,
  type ExtractedMention,
  type ExtractedRelation,
  type Extraction,
  type Extractor,
} from '../ports/extractor.js';
import { parseDate } from './dates.js';
import { CANONICAL_PREDICATES } from './predicates.js';

/** The predicate vocabulary the model chooses from; `other` carries its own verb. */
const PREDICATES: [string, ...string[]] = ['other', ...CANONICAL_PREDICATES];

/** What the model must return for one chunk. Every field is required (strict structured-output servers want that). */
export const extractionSchema = z.object({
  entities: z
    .array(
      z.object({
        name: z.string().min(1).max(200).describe('The name as written in the text'),
        type: z.enum(ENTITY_TYPES),
      }),
    )
    .max(200),
  relations: z
    .array(
      z
        .object({
          subject: z.string().min(1).max(200).describe('Name of an entity listed in entities'),
          predicate: z
            .enum(PREDICATES)
            .describe('The relation, from this list; "other" when none fits (then give verb)'),
          verb: z
            .string()
            .max(100)
            .nullable()
            .describe(
              'For predicate "other": a short verb phrase in the base form ("know", "invest in"); otherwise null',
            ),
          object: z.string().min(1).max(200).describe('Name of an entity listed in entities'),
          validFrom: z
            .string()
            .max(40)
            .nullable()
            .describe('ISO date (YYYY-MM-DD) from which the text says the fact holds, or null'),
          evidence: z
            .string()
            .max(1000)
            .describe('The sentence the relation was read from, quoted'),
        })
        .refine((relation) => relation.predicate !== 'other' || !!relation.verb?.trim(), {
          message: 'a relation with predicate "other" needs its verb',
          path: ['verb'],
        }),
    )
    .max(200),
});

export type ChunkExtractionReply = z.infer<typeof extractionSchema>;

const SYSTEM_PROMPT = [
  'You extract a knowledge graph from text.',
  `Entity types: ${ENTITY_TYPES.join(', ')} (organization for companies and institutions; product for software, devices and other products; topic for other named things).`,
  'List every named entity, date and notable value once, with its name exactly as written.',
  'List relations stated by the text between two listed entities: subject, predicate, object.',
  `Predicates: ${CANONICAL_PREDICATES.map((p) => `"${p}"`).join(', ')} (a person "works at" an organization, "lives in" or "was born in" a place; an organization "is headquartered in" a place; a place "is located in" a place; "X killed Y").`,
  'When none fits, use predicate "other" and put a short verb phrase in the base form in verb ("know", "invest in"); otherwise verb is null.',
  'Set validFrom only when the text gives the date from which a relation holds.',
  'Reply with one JSON object and nothing else.',
].join('\n');

export interface ChatExtractorOptions {
  chatModel: ChatModel;
  /** Chunks sent to the model at once. */
  concurrency?: number;
  /** Reply budget per chunk. */
  maxOutputTokens?: number;
}

export function createChatExtractor(options: ChatExtractorOptions): Extractor {
  const concurrency = Math.max(1, options.concurrency ?? 2);

  async function extractOne(chunk: ChunkText, signal?: AbortSignal): Promise<Extraction> {
    try {
      return await askModel(chunk, signal);
    } catch (error) {
      // Output that stays invalid after a repair is this chunk's problem, not the document's.
      if (!isAppError(error) || error.details?.['reason'] !== 'invalid_output') throw error;
      return {
        mentions: [],
        relations: [],
        failures: [{ chunkId: chunk.id, reason: 'invalid_output', message: error.message }],
      };
    }
  }

  async function askModel(chunk: ChunkText, signal?: AbortSignal): Promise<Extraction> {
    const reply = await options.chatModel.completeJson(
      extractionSchema,
      [
        { role: 'system', content: SYSTEM_PROMPT },
        { role: 'user', content: chunk.text },
      ],
      {
        schemaName: 'knowledge_graph_extraction',
        maxOutputTokens: options.maxOutputTokens ?? 2000,
        ...(signal === undefined ? {} : { signal }),
      },
    );
    return fromReply(chunk, reply);
  }

  return {
    id: `llm:${options.chatModel.id}`,
    async extract(chunks, extractOptions) {
      const results: Extraction[] = new Array<Extraction>(chunks.length);
      let next = 0;
      const worker = async () => {
        while (next < chunks.length) {
          const index = next++;
          results[index] = await extractOne(chunks[index]!, extractOptions?.signal);
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, chunks.length) }, worker));
      return {
        mentions: results.flatMap((r) => r.mentions),
        relations: results.flatMap((r) => r.relations),
        failures: results.flatMap((r) => r.failures ?? []),
      };
    },
  };
}

/** Turns one validated reply into mentions and relations; relation endpoints take their listed type. */
export function fromReply(chunk: ChunkText, reply: ChunkExtractionReply): Extraction {
  const typeOf = new Map<string, EntityType>();
  const mentions: ExtractedMention[] = [];
  for (const entity of reply.entities) {
    const name = entity.name.trim();
    if (name === '') continue;
    if (!typeOf.has(name.toLowerCase())) typeOf.set(name.toLowerCase(), entity.type);
    mentions.push({ surface: name, type: entity.type, chunkId: chunk.id });
  }
  const relations: ExtractedRelation[] = [];
  for (const relation of reply.relations) {
    const subject = relation.subject.trim();
    const object = relation.object.trim();
    if (subject === '' || object === '') continue;
    const validAt = relation.validFrom === null ? undefined : parseDate(relation.validFrom);
    relations.push({
      subject,
      subjectType: typeOf.get(subject.toLowerCase()) ?? 'topic',
      object,
      objectType: typeOf.get(object.toLowerCase()) ?? 'topic',
      predicate: relation.predicate === 'other' ? relation.verb!.trim() : relation.predicate,
      chunkId: chunk.id,
      sentence: relation.evidence,
      ...(validAt === undefined ? {} : { validAt }),
    });
  }
  return { mentions, relations };
}
