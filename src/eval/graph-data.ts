// CoNLL04 in the SpERT JSON layout: a list of sentences, each with `tokens`, `entities` (`type`
// Peop | Org | Loc | Other, token span [start, end)) and `relations` (`type`, `head` and `tail`
// index into `entities`). A sentence's text is its tokens joined by spaces, as the corpus gives
// them; an entity is named by its tokens joined the same way.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';

const spanSchema = z.object({
  type: z.string().min(1),
  start: z.number().int().nonnegative(),
  end: z.number().int().positive(),
});
const sentenceSchema = z.object({
  tokens: z.array(z.string()).min(1),
  entities: z.array(spanSchema),
  relations: z.array(
    z.object({
      type: z.string().min(1),
      head: z.number().int().nonnegative(),
      tail: z.number().int().nonnegative(),
    }),
  ),
});

export interface GoldEntity {
  surface: string;
  /** Peop, Org, Loc or Other. */
  type: string;
}

export interface GoldSentence {
  text: string;
  entities: GoldEntity[];
  relations: Array<{ type: string; head: string; tail: string }>;
}

/** Reads a SpERT file; a malformed sentence fails with its index and the problem. */
export async function loadGraphSentences(path: string): Promise<GoldSentence[]> {
  const raw: unknown = JSON.parse(await readFile(path, 'utf8'));
  if (!Array.isArray(raw)) throw new Error(`${path}: expected a JSON list of sentences`);
  return raw.map((item, index) => {
    const parsed = sentenceSchema.safeParse(item);
    if (!parsed.success)
      throw new Error(
        `${path}: sentence ${index}: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
      );
    const { tokens, entities, relations } = parsed.data;
    const named = entities.map((entity) => {
      if (entity.end > tokens.length || entity.start >= entity.end)
        throw new Error(`${path}: sentence ${index}: entity span outside the sentence`);
      return { surface: tokens.slice(entity.start, entity.end).join(' '), type: entity.type };
    });
    return {
      text: tokens.join(' '),
      entities: named,
      relations: relations.map((relation) => {
        const head = named[relation.head];
        const tail = named[relation.tail];
        if (head === undefined || tail === undefined)
          throw new Error(`${path}: sentence ${index}: relation names a missing entity`);
        return { type: relation.type, head: head.surface, tail: tail.surface };
      }),
    };
  });
}
