// Memory store port: sessions and every recallable memory item (turns, episodes, promoted items)
// with full-text and vector search. Adapters: SQLite (FTS5; a sign-bit index with exact cosine
// re-scoring), PostgreSQL (tsvector + pgvector).
//
// For recall (read this first):
// - ONE `memories` table holds every item: kind `turn | episode | promoted`, tier
//   `working | episodic | semantic`. A turn is stored once, forever retrievable as itself; it is
//   tier `working` while it is among the last `wmMaxTurns` turns of its session, then `episodic`.
//   An episode (tier episodic) is distilled from consecutive turns: `source.turnIds` lists them.
//   A promoted item (tier semantic) is a copy of a salient EM item: `source.memoryId` is the
//   original, `source.turnIds` the turns behind it (the original stays, with `promotedId` set, so
//   recall should drop an original whose promoted copy is also in the candidate list).
// - Ingested chunks and graph facts are NOT here: search them through the ingestion/graph services.
// - Scoping is strict and every method filters by tenant. `userId`/`sessionId` in a scope are
//   equality filters (`null` matches items without a user), never "any".
// - `occurredAt` is the time the thing happened (the turn's `at`, else its arrival); an episode
//   takes the time of its last turn. Times are ms since the epoch.
// - Salience is stored as (value, updatedAt); the current value decays with a half-life and is
//   computed on read by `decayedSalience` (src/memory/salience.ts), never rewritten in bulk.
// - Vectors are stored with the embedder id; `searchVector` only compares vectors of the given
//   `embedderId`. A turn is searchable by text as soon as `appendTurns` returns; its vector follows
//   from a background step (`listUnembedded` + `putVectors`), so `searchVector` may miss the
//   newest items for a moment.

export const MEMORY_KINDS = ['turn', 'episode', 'promoted'] as const;
export const MEMORY_TIERS = ['working', 'episodic', 'semantic'] as const;

/** Where a page of a session's episodes ended. */
export interface EpisodePosition {
  occurredAt: number;
  id: string;
}

export type MemoryKind = (typeof MEMORY_KINDS)[number];
export type MemoryTier = (typeof MEMORY_TIERS)[number];

export interface MemorySource {
  /** Turns this item came from (an episode's turns; a promoted item's turns). */
  turnIds?: string[];
  /** The memory a promoted item was copied from. */
  memoryId?: string;
}

export interface MemoryItem {
  id: string;
  tenantId: string;
  kind: MemoryKind;
  tier: MemoryTier;
  userId: string | null;
  sessionId: string | null;
  agentId: string | null;
  /** Who said it (turns); null for episodes and promoted items. */
  speaker: string | null;
  text: string;
  /** Position of a turn in its session (1, 2, …); for an episode, its last turn's position. */
  seq: number | null;
  occurredAt: number;
  createdAt: number;
  /** Stored salience in [0, 1] as of `salienceUpdatedAt`; see decayedSalience. */
  salience: number;
  salienceUpdatedAt: number;
  source: MemorySource;
  metadata: Record<string, unknown>;
  /** Set on an EM item once it was promoted: the id of its semantic copy. */
  promotedId: string | null;
  /** Embedder whose vector this item has, or null while it waits for one. */
  embedderId: string | null;
}

export interface NewMemory {
  id: string;
  kind: MemoryKind;
  tier: MemoryTier;
  userId: string | null;
  sessionId: string | null;
  agentId: string | null;
  speaker: string | null;
  text: string;
  seq: number | null;
  occurredAt: number;
  salience?: number;
  source?: MemorySource;
  metadata?: Record<string, unknown>;
}

export interface Session {
  id: string;
  tenantId: string;
  userId: string | null;
  agentId: string | null;
  metadata: Record<string, unknown>;
  createdAt: number;
  lastActiveAt: number;
  expiresAt: number;
  turnCount: number;
  /** Turns with seq ≤ this were distilled into episodes. */
  distilledThrough: number;
}

/** Where a turn sits: its session and its position there. */
export interface TurnPlace {
  sessionId: string;
  seq: number;
}

/** A place as one string, for sets and maps of places. */
export function placeKey(place: TurnPlace): string {
  return `${place.seq}@${place.sessionId}`;
}

/** The places, each once, by session id and position (the order getTurnsAt answers in). */
export function distinctPlaces(places: TurnPlace[]): TurnPlace[] {
  const byKey = new Map(places.map((place) => [placeKey(place), place]));
  return [...byKey.values()].sort((a, b) =>
    a.sessionId === b.sessionId ? a.seq - b.seq : a.sessionId < b.sessionId ? -1 : 1,
  );
}

/** Where a page of sessions ended: its last session's activity time and id. */
export interface SessionPosition {
  lastActiveAt: number;
  id: string;
}

export interface NewSession {
  id: string;
  tenantId: string;
  userId: string | null;
  agentId: string | null;
  metadata: Record<string, unknown>;
  createdAt: number;
  expiresAt: number;
}

export interface NewTurn {
  id: string;
  speaker: string;
  text: string;
  occurredAt: number;
  metadata?: Record<string, unknown>;
}

export interface TimeRange {
  /** Inclusive, ms since epoch. */
  from?: number;
  /** Exclusive, ms since epoch. */
  to?: number;
}

export interface MemoryScope {
  tenantId: string;
  /** Only this user's items (null: only items without a user). Omitted: the whole tenant. */
  userId?: string | null;
  sessionId?: string;
  tiers?: MemoryTier[];
  kinds?: MemoryKind[];
  /** On occurredAt. */
  timeRange?: TimeRange;
}

export interface MemoryHit {
  memory: MemoryItem;
  /** 1-based position in this result list. */
  rank: number;
  /** Higher is better. Text: BM25-like relevance (not comparable across backends). Vector: cosine similarity. */
  score: number;
}

export interface AppendTurnsResult {
  session: Session;
  /** One per input turn, in input order (a retried turn as first stored). */
  turns: MemoryItem[];
  /** How many turns were new (the rest were retries). */
  added: number;
}

export interface MemoryStore {
  // Sessions
  createSession(session: NewSession): Promise<Session>;
  getSession(tenantId: string, sessionId: string): Promise<Session | undefined>;
  /** Newest activity first (ties: id descending); `after` continues past that session. */
  listSessions(
    tenantId: string,
    userId: string | null,
    limit?: number,
    after?: SessionPosition,
  ): Promise<Session[]>;
  /**
   * Appends turns (seq continues the session's count), refreshes lastActiveAt/expiresAt, and moves
   * turns older than the last `wmMaxTurns` to tier episodic — one transaction. A turn whose id
   * the session already holds is not added again: it is returned as stored (idempotent retries,
   * see `turnIdFor`). Throws
   * SESSION_NOT_FOUND when the session does not exist (or expired before `now`).
   */
  appendTurns(input: {
    tenantId: string;
    sessionId: string;
    turns: NewTurn[];
    now: number;
    ttlMs: number;
    wmMaxTurns: number;
  }): Promise<AppendTurnsResult>;
  /** The session's last `limit` turns, oldest first. */
  lastTurns(tenantId: string, sessionId: string, limit: number): Promise<MemoryItem[]>;
  /**
   * The episodes distilled from a session (kept after it ends), oldest first (by occurredAt, then
   * id), after `after` when given, at most `limit`.
   */
  sessionEpisodes(
    tenantId: string,
    sessionId: string,
    after: EpisodePosition | null,
    limit: number,
  ): Promise<MemoryItem[]>;
  /** Turns with afterSeq < seq ≤ throughSeq, oldest first. */
  turnsInRange(
    tenantId: string,
    sessionId: string,
    afterSeq: number,
    throughSeq: number,
  ): Promise<MemoryItem[]>;
  /**
   * Records distillation: only when the session's distilledThrough still equals `expectedThrough`
   * (another worker did not get there first), sets it to `through`, inserts the episodes
   * (idempotent by id; an episode whose turns are no longer all there, because one was forgotten
   * meanwhile, is left out) and, with `endWorking`, moves the session's remaining working turns to
   * episodic. Returns false when it lost the race.
   */
  recordDistillation(input: {
    tenantId: string;
    sessionId: string;
    expectedThrough: number;
    through: number;
    episodes: NewMemory[];
    endWorking?: boolean;
    now: number;
  }): Promise<boolean>;
  /** Sessions whose undistilled turns outside working memory reach `minTurns`. */
  sessionsDueForDistillation(input: {
    wmMaxTurns: number;
    minTurns: number;
    limit: number;
  }): Promise<Session[]>;
  /** Sessions (of every tenant) with expiresAt ≤ now. */
  expiredSessions(now: number, limit: number): Promise<Session[]>;
  /**
   * Deletes the session row and its working-tier turns; with `purge`, every memory of the session
   * (turns, episodes, promoted items). Returns false when it did not exist.
   */
  deleteSession(
    tenantId: string,
    sessionId: string,
    options?: { purge?: boolean },
  ): Promise<boolean>;

  // Forgetting
  /**
   * Deletes a memory and everything derived from it: episodes and promoted copies whose
   * `source.turnIds` or `source.memoryId` name it, and what was derived from those in turn. Its
   * vectors and index rows go with it. Returns the ids deleted (empty: no such memory).
   */
  forgetMemory(tenantId: string, memoryId: string): Promise<string[]>;
  /** Deletes every memory (with vectors and index rows) and every session of a user. */
  forgetUser(tenantId: string, userId: string): Promise<{ memories: number; sessions: number }>;

  // Memories
  /** Inserts items; an existing id is left unchanged (idempotent retries). */
  insertMemories(tenantId: string, items: NewMemory[], now: number): Promise<void>;
  /** In the order of `ids`; unknown ids are skipped. */
  getByIds(tenantId: string, ids: string[]): Promise<MemoryItem[]>;
  /**
   * The tenant's turns at these places, each once, by session id and position; a place without a
   * turn is skipped. One call for many places (recall reads the turns around its candidates).
   */
  getTurnsAt(tenantId: string, places: TurnPlace[]): Promise<MemoryItem[]>;
  searchText(input: MemoryScope & { query: string; k: number }): Promise<MemoryHit[]>;
  /** `vector` must be L2-normalised and come from `embedderId`. */
  searchVector(
    input: MemoryScope & { vector: Float32Array; embedderId: string; k: number },
  ): Promise<MemoryHit[]>;
  countMemories(scope: MemoryScope): Promise<number>;
  /** The tenant's sessions that have not expired at `now` (expired ones are swept away later). */
  countActiveSessions(tenantId: string, now: number): Promise<number>;

  // Vectors (background)
  /** Items (of every tenant) without a vector, oldest first. */
  listUnembedded(limit: number): Promise<Array<Pick<MemoryItem, 'id' | 'tenantId' | 'text'>>>;
  putVectors(
    tenantId: string,
    embedderId: string,
    vectors: Array<{ memoryId: string; vector: Float32Array }>,
  ): Promise<void>;

  // Salience and promotion
  /**
   * Sets salience values (already decayed and raised by the caller) with their timestamp, in one
   * transaction. Unknown ids are ignored; returns the ids updated.
   */
  setSalience(
    tenantId: string,
    updates: Array<{ id: string; salience: number }>,
    now: number,
  ): Promise<string[]>;
  /** EM items (tier episodic, not yet promoted) whose stored salience is ≥ minStored, all tenants. */
  promotionCandidates(minStored: number, limit: number): Promise<MemoryItem[]>;
  /** Inserts the semantic copy and marks the original promoted, atomically; false if already promoted. */
  recordPromotion(
    tenantId: string,
    originalId: string,
    promoted: NewMemory,
    now: number,
  ): Promise<boolean>;

  close(): Promise<void>;
}
