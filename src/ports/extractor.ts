// Extractor port: finds entity mentions and relations in chunks of text. Every mention and
// relation names the chunk it came from, so the graph keeps its provenance.

export const ENTITY_TYPES = [
  'person',
  'organization',
  'place',
  'product',
  'topic',
  'date',
  'value',
] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];

export interface ChunkText {
  id: string;
  ordinal: number;
  text: string;
}

export interface ExtractedMention {
  /** The text as written, e.g. `Neo4j Inc.`. */
  surface: string;
  type: EntityType;
  chunkId: string;
}

export interface ExtractedRelation {
  /** Surfaces of the two mentions the relation links (both also listed as mentions). */
  subject: string;
  subjectType: EntityType;
  object: string;
  objectType: EntityType;
  /** Verb phrase as written (`joined`, `is the CEO of`); the graph normalises it. */
  predicate: string;
  chunkId: string;
  /** The sentence the relation was read from, kept as evidence. */
  sentence: string;
  /** When the fact became true, if the text says so (ms since epoch, UTC). */
  validAt?: number;
}

export interface Extraction {
  mentions: ExtractedMention[];
  relations: ExtractedRelation[];
}

export interface ExtractOptions {
  signal?: AbortSignal;
}

export interface Extractor {
  /** e.g. `local:compromise`, `openai:gpt-4o-mini`. */
  readonly id: string;
  extract(chunks: ChunkText[], options?: ExtractOptions): Promise<Extraction>;
}
