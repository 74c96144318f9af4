// Request, result and item types of recall, plus the chunk/fact search shapes it consumes.
import type { MemoryKind, MemoryTier, TimeRange } from '../../ports/memory-store.js';
import type { ScoreBreakdown } from './fusion.js';
import type { IntentResult } from './intent.js';

/** An ingested chunk, as the ingestion capability's search returns it. */
export interface ChunkCandidate {
  chunkId: string;
  documentId: string;
  text: string;
  textScore?: number;
  textRank?: number;
  vectorScore?: number;
  vectorRank?: number;
}

/** A graph fact, as the graph capability's search returns it. */
export interface FactCandidate {
  id: string;
  text: string;
  entityIds: string[];
  score: number;
  validAt: number;
}

export type SearchChunks = (input: {
  tenantId: string;
  query: string;
  queryVector?: Float32Array;
  k: number;
}) => Promise<ChunkCandidate[]>;
export type SearchFacts = (input: {
  tenantId: string;
  query: string;
  k: number;
}) => Promise<FactCandidate[]>;

export interface RecallRequest {
  tenantId: string;
  query: string;
  /** Only this session's memories. */
  sessionId?: string | undefined;
  /** Only this user's memories (null: only memories without a user). Omitted: the whole tenant. */
  userId?: string | null | undefined;
  k: number;
  /** Skip this many of the best items first: the next page of the same ranking (default 0). */
  offset?: number | undefined;
  tiers?: MemoryTier[] | undefined;
  /** A hard filter on when memories happened (ms since epoch). */
  timeRange?: TimeRange | undefined;
  signal?: AbortSignal | undefined;
}

export type RecallKind = MemoryKind | 'chunk' | 'fact';

export interface RecallSource {
  turnIds?: string[];
  memoryId?: string;
  sessionId?: string | null;
  documentId?: string;
  chunkId?: string;
  entityIds?: string[];
  /**
   * Set when `text` is one passage of a long memory (the one that best matches the query):
   * offsets [start, end) in UTF-16 code units into the memory’s full text.
   */
  passage?: { start: number; end: number };
}

export interface RecallScore extends ScoreBreakdown {
  textRank: number | null;
  vectorRank: number | null;
  /** Cosine similarity of the query and item vectors (not scaled), null when not a vector hit. */
  similarity: number | null;
  /** Share of the query's content terms the returned text holds. */
  coverage: number;
}

export interface RecallItem {
  /** Citation id: send it to `POST /v1/memories/cited` when the agent uses the item. */
  id: string;
  tier: MemoryTier;
  kind: RecallKind;
  text: string;
  occurredAt: number | null;
  speaker: string | null;
  source: RecallSource;
  score: RecallScore;
  /**
   * How likely the item is to hold what the query asks for, in [0, 1], from absolute evidence
   * (not relative to the other items): low for every item means there is probably nothing to find.
   */
  confidence: number;
}

export interface RecallResult {
  items: RecallItem[];
  intent: IntentResult['intent'];
  /** The time the query named, if any, as [from, to) or a month of any year. */
  time?: { text: string; from?: number; to?: number; monthOfYear?: number };
  /** Set when a source could not be searched (e.g. the embedder is down); the rest still answered. */
  degraded?: string[];
  /** Where the time went: embedding the query, searching, fetching neighbours, fusing. */
  timingsMs: {
    embed: number;
    /** Both index searches (and the semantic tier's); `vectorSearch` is the vector part. */
    search: number;
    vectorSearch: number;
    neighbours: number;
    fuse: number;
    total: number;
  };
}
