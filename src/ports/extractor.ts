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

/** A chunk the extractor could not read, e.g. a model reply still invalid after a repair request. */
export interface ExtractionFailure {
  chunkId: string;
  /** Machine-readable cause, e.g. `invalid_output`. */
  reason: string;
  message: string;
}

export interface Extraction {
  mentions: ExtractedMention[];
  relations: ExtractedRelation[];
  /** Chunks left out; the rest of the document still counts. Absent or empty when every chunk was read. */
  failures?: ExtractionFailure[];
}

export interface ExtractOptions {
  signal?: AbortSignal;
}

export interface Extractor {
  /** e.g. `local:wink`, `openai:gpt-4o-mini`. */
  readonly id: string;
  extract(chunks: ChunkText[], options?: ExtractOptions): Promise<Extraction>;
  /** Stops what the extractor runs on (threads); later calls fail. */
  close?(): Promise<void>;
}
