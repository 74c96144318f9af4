// SQLite memory store: sessions and memory items in the embedded file, BM25 over FTS5 (porter),
// exact cosine kNN over the scope's vectors with sqlite-vec.
import { AppError } from '../../domain/errors.js';
import type {
  AppendTurnsResult,
  MemoryHit,
  MemoryItem,
  MemoryScope,
  MemoryStore,
  NewMemory,
  NewSession,
  Session,
} from '../../ports/memory-store.js';
import { LRUCache } from 'lru-cache';
import type { SqliteHandle } from './database.js';
import { BinaryVectorIndex } from './memory-vector-index.js';

interface MemoryRow {
  pk: number;
  id: string;
  tenant_id: string;
  kind: MemoryItem['kind'];
  tier: MemoryItem['tier'];
  user_id: string | null;
  session_id: string | null;
  agent_id: string | null;
  speaker: string | null;
  text: string;
  seq: number | null;
  occurred_at: number;
  created_at: number;
  salience: number;
  salience_updated_at: number;
  source: string;
  metadata: string;
  promoted_id: string | null;
  embedder_id: string | null;
}

interface SessionRow {
  tenant_id: string;
  id: string;
  user_id: string | null;
  agent_id: string | null;
  metadata: string;
  created_at: number;
  last_active_at: number;
  expires_at: number;
  turn_count: number;
  distilled_through: number;
}

const MEMORY_COLUMNS = `m.pk, m.id, m.tenant_id, m.kind, m.tier, m.user_id, m.session_id, m.agent_id, m.speaker,
  m.text, m.seq, m.occurred_at, m.created_at, m.salience, m.salience_updated_at, m.source, m.metadata,
  m.promoted_id, m.embedder_id`;

const INSERT_MEMORY = `INSERT OR IGNORE INTO memories (id, tenant_id, kind, tier, user_id, session_id, agent_id,
  speaker, text, seq, occurred_at, created_at, salience, salience_updated_at, source, metadata)
  VALUES (@id, @tenantId, @kind, @tier, @userId, @sessionId, @agentId, @speaker, @text, @seq, @occurredAt,
  @createdAt, @salience, @createdAt, @source, @metadata)`;

/** Small English stop list: question words would otherwise dominate OR queries. */
const STOP_WORDS = new Set(
  (
    'a an and are as at be been but by can could did do does for from had has have he her hers him his how i if in ' +
    'into is it its me my no not of on or our she so than that the their them then there these they this to ' +
    'was we were what when where which who whom why will with would you your yours'
  ).split(' '),
);

/** The content words of a natural-language query (lower case, no stop words, at most 64). */
export function ftsTerms(query: string): string[] {
  const terms = new Set<string>();
  for (const raw of query.toLowerCase().split(/[^\p{L}\p{N}]+/u)) {
    if (raw === '' || STOP_WORDS.has(raw)) continue;
    terms.add(raw);
    if (terms.size >= 64) break;
  }
  return [...terms];
}

/** A natural-language query as an FTS5 OR query of its quoted terms; empty when nothing is left. */
export function ftsQuery(query: string): string {
  return orOf(ftsTerms(query));
}

function orOf(terms: string[]): string {
  return terms.map((term) => `"${term}"`).join(' OR ');
}

/**
 * A term in more than this share of all memories (and at least COMMON_MIN_DF of them) does not
 * select candidates on its own: it still adds its BM25 weight to memories that match a rarer
 * query term. Scoring every memory that contains "go" or a speaker's name is what made wide OR
 * queries slow on large stores; such terms carry little weight (low IDF) anyway.
 */
const COMMON_SHARE = 0.05;
const COMMON_MIN_DF = 500;
const STATS_TTL_MS = 10 * 60_000;

function toMemory(row: MemoryRow): MemoryItem {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    kind: row.kind,
    tier: row.tier,
    userId: row.user_id,
    sessionId: row.session_id,
    agentId: row.agent_id,
    speaker: row.speaker,
    text: row.text,
    seq: row.seq,
    occurredAt: row.occurred_at,
    createdAt: row.created_at,
    salience: row.salience,
    salienceUpdatedAt: row.salience_updated_at,
    source: JSON.parse(row.source) as MemoryItem['source'],
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    promotedId: row.promoted_id,
    embedderId: row.embedder_id,
  };
}

function toSession(row: SessionRow): Session {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    userId: row.user_id,
    agentId: row.agent_id,
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    createdAt: row.created_at,
    lastActiveAt: row.last_active_at,
    expiresAt: row.expires_at,
    turnCount: row.turn_count,
    distilledThrough: row.distilled_through,
  };
}

function memoryParams(tenantId: string, item: NewMemory, now: number) {
  return {
    id: item.id,
    tenantId,
    kind: item.kind,
    tier: item.tier,
    userId: item.userId,
    sessionId: item.sessionId,
    agentId: item.agentId,
    speaker: item.speaker,
    text: item.text,
    seq: item.seq,
    occurredAt: item.occurredAt,
    createdAt: now,
    salience: item.salience ?? 0,
    source: JSON.stringify(item.source ?? {}),
    metadata: JSON.stringify(item.metadata ?? {}),
  };
}

/** WHERE clauses (on alias m) and their parameters for a scope. */
function scopeClauses(scope: MemoryScope): { sql: string; params: unknown[] } {
  const clauses = ['m.tenant_id = ?'];
  const params: unknown[] = [scope.tenantId];
  if (scope.userId !== undefined) {
    if (scope.userId === null) clauses.push('m.user_id IS NULL');
    else {
      clauses.push('m.user_id = ?');
      params.push(scope.userId);
    }
  }
  if (scope.sessionId !== undefined) {
    clauses.push('m.session_id = ?');
    params.push(scope.sessionId);
  }
  if (scope.tiers !== undefined) {
    clauses.push(`m.tier IN (${scope.tiers.map(() => '?').join(', ') || 'NULL'})`);
    params.push(...scope.tiers);
  }
  if (scope.kinds !== undefined) {
    clauses.push(`m.kind IN (${scope.kinds.map(() => '?').join(', ') || 'NULL'})`);
    params.push(...scope.kinds);
  }
  if (scope.timeRange?.from !== undefined) {
    clauses.push('m.occurred_at >= ?');
    params.push(scope.timeRange.from);
  }
  if (scope.timeRange?.to !== undefined) {
    clauses.push('m.occurred_at < ?');
    params.push(scope.timeRange.to);
  }
  return { sql: clauses.join(' AND '), params };
}

function vectorBlob(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

function blobVector(blob: Buffer): Float32Array {
  // Copy: a Buffer's offset need not be 4-byte aligned.
  return new Float32Array(new Uint8Array(blob).buffer);
}

/** Exact scoring looks at this many candidates from the binary index (at least). */
const MIN_CANDIDATES = 800;
const CANDIDATES_PER_RESULT = 8;

export class SqliteMemoryStore implements MemoryStore {
  private readonly vectorIndexes = new Map<string, BinaryVectorIndex>();
  /** Document frequencies of query terms (all tenants), refreshed after STATS_TTL_MS. */
  private readonly documentFrequencies = new LRUCache<string, number>({
    max: 20_000,
    ttl: STATS_TTL_MS,
  });
  private corpus: { size: number; at: number } | undefined;

  private corpusSize(): number {
    const now = Date.now();
    if (this.corpus === undefined || now - this.corpus.at > STATS_TTL_MS) {
      const row = this.db.prepare('SELECT count(*) AS n FROM memories').get() as { n: number };
      this.corpus = { size: row.n, at: now };
    }
    return this.corpus.size;
  }

  private documentFrequency(term: string): number {
    let count = this.documentFrequencies.get(term);
    if (count === undefined) {
      const row = this.db
        .prepare('SELECT count(*) AS n FROM memories_fts WHERE memories_fts MATCH ?')
        .get(`"${term}"`) as { n: number };
      count = row.n;
      this.documentFrequencies.set(term, count);
    }
    return count;
  }

  /** The FTS5 expression for a query: all terms score, common terms do not select on their own. */
  private matchExpression(query: string): string {
    const terms = ftsTerms(query);
    if (terms.length <= 1) return orOf(terms);
    const threshold = Math.max(COMMON_MIN_DF, COMMON_SHARE * this.corpusSize());
    const frequencies = new Map(terms.map((term) => [term, this.documentFrequency(term)]));
    let selective = terms.filter((term) => frequencies.get(term)! <= threshold);
    if (selective.length === 0) {
      selective = [...terms].sort((a, b) => frequencies.get(a)! - frequencies.get(b)!).slice(0, 2);
    }
    if (selective.length === terms.length) return orOf(terms);
    return `(${orOf(selective)}) AND (${orOf(terms)})`;
  }

  constructor(private readonly db: SqliteHandle) {}

  /** The binary index of a tenant's vectors from one embedder, caught up with the table. */
  private vectorIndex(tenantId: string, embedderId: string, dimension: number): BinaryVectorIndex {
    const key = `${tenantId}\u0000${embedderId}`;
    let index = this.vectorIndexes.get(key);
    if (index === undefined || index.dimension !== dimension || index.wantsRebuild) {
      const sample = (
        this.db
          .prepare(
            'SELECT vector FROM memory_vectors WHERE tenant_id = ? AND embedder_id = ? ORDER BY memory_pk DESC LIMIT 10000',
          )
          .all(tenantId, embedderId) as Array<{ vector: Buffer }>
      )
        .map((row) => blobVector(row.vector))
        .filter((vector) => vector.length === dimension);
      index = new BinaryVectorIndex(dimension, sample);
      this.vectorIndexes.set(key, index);
    }
    const rows = this.db
      .prepare(
        `SELECT v.memory_pk AS pk, v.vector, m.user_id, m.session_id, m.kind, m.occurred_at FROM memory_vectors v
         JOIN memories m ON m.pk = v.memory_pk
         WHERE v.memory_pk > ? AND v.tenant_id = ? AND v.embedder_id = ? ORDER BY v.memory_pk`,
      )
      .all(index.maxPk, tenantId, embedderId) as Array<{
      pk: number;
      vector: Buffer;
      user_id: string | null;
      session_id: string | null;
      kind: string;
      occurred_at: number;
    }>;
    for (const row of rows) {
      index.add({
        pk: row.pk,
        userId: row.user_id,
        sessionId: row.session_id,
        kind: row.kind,
        occurredAt: row.occurred_at,
        vector: blobVector(row.vector),
      });
    }
    return index;
  }

  async createSession(session: NewSession): Promise<Session> {
    this.db
      .prepare(
        `INSERT INTO memory_sessions (tenant_id, id, user_id, agent_id, metadata, created_at, last_active_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        session.tenantId,
        session.id,
        session.userId,
        session.agentId,
        JSON.stringify(session.metadata),
        session.createdAt,
        session.createdAt,
        session.expiresAt,
      );
    return {
      ...session,
      lastActiveAt: session.createdAt,
      turnCount: 0,
      distilledThrough: 0,
    };
  }

  async getSession(tenantId: string, sessionId: string): Promise<Session | undefined> {
    const row = this.db
      .prepare('SELECT * FROM memory_sessions WHERE tenant_id = ? AND id = ?')
      .get(tenantId, sessionId) as SessionRow | undefined;
    return row === undefined ? undefined : toSession(row);
  }

  async listSessions(tenantId: string, userId: string | null, limit = 100): Promise<Session[]> {
    const rows = this.db
      .prepare(
        `SELECT * FROM memory_sessions WHERE tenant_id = ? AND user_id IS ? ORDER BY last_active_at DESC, id DESC LIMIT ?`,
      )
      .all(tenantId, userId, limit) as SessionRow[];
    return rows.map(toSession);
  }

  async appendTurns(input: Parameters<MemoryStore['appendTurns']>[0]): Promise<AppendTurnsResult> {
    const { tenantId, sessionId, turns, now, ttlMs, wmMaxTurns } = input;
    const insert = this.db.prepare(INSERT_MEMORY);
    const run = this.db.transaction((): AppendTurnsResult => {
      const row = this.db
        .prepare('SELECT * FROM memory_sessions WHERE tenant_id = ? AND id = ?')
        .get(tenantId, sessionId) as SessionRow | undefined;
      if (row === undefined || row.expires_at <= now) {
        throw new AppError(
          'SESSION_NOT_FOUND',
          `Session ${sessionId} does not exist or has expired.`,
        );
      }
      // A retried turn (same id) is returned as stored, not added again.
      const existing = new Map<string, MemoryItem>();
      for (let offset = 0; offset < turns.length; offset += 500) {
        const ids = turns.slice(offset, offset + 500).map((turn) => turn.id);
        const rows = this.db
          .prepare(
            `SELECT ${MEMORY_COLUMNS} FROM memories m WHERE m.tenant_id = ? AND m.session_id = ? AND m.kind = 'turn'
             AND m.id IN (${ids.map(() => '?').join(', ')})`,
          )
          .all(tenantId, sessionId, ...ids) as MemoryRow[];
        for (const found of rows) existing.set(found.id, toMemory(found));
      }
      const seen = new Set<string>();
      const fresh = turns.filter((turn) => {
        if (existing.has(turn.id) || seen.has(turn.id)) return false;
        seen.add(turn.id);
        return true;
      });
      const turnCount = row.turn_count + fresh.length;
      const workingFrom = turnCount - wmMaxTurns;
      const added: MemoryItem[] = fresh.map((turn, index) => {
        const seq = row.turn_count + index + 1;
        const item: NewMemory = {
          id: turn.id,
          kind: 'turn',
          tier: seq <= workingFrom ? 'episodic' : 'working',
          userId: row.user_id,
          sessionId,
          agentId: row.agent_id,
          speaker: turn.speaker,
          text: turn.text,
          seq,
          occurredAt: turn.occurredAt,
          metadata: turn.metadata ?? {},
        };
        insert.run(memoryParams(tenantId, item, now));
        return {
          ...item,
          tenantId,
          createdAt: now,
          salience: 0,
          salienceUpdatedAt: now,
          source: {},
          metadata: item.metadata ?? {},
          promotedId: null,
          embedderId: null,
        };
      });
      const byId = new Map([...existing, ...added.map((item) => [item.id, item] as const)]);
      const stored = turns.flatMap((turn) => byId.get(turn.id) ?? []);
      this.db
        .prepare(
          `UPDATE memory_sessions SET turn_count = ?, last_active_at = ?, expires_at = ? WHERE tenant_id = ? AND id = ?`,
        )
        .run(turnCount, now, now + ttlMs, tenantId, sessionId);
      this.db
        .prepare(
          `UPDATE memories SET tier = 'episodic' WHERE tenant_id = ? AND session_id = ? AND kind = 'turn'
             AND tier = 'working' AND seq <= ?`,
        )
        .run(tenantId, sessionId, workingFrom);
      const session = toSession({
        ...row,
        turn_count: turnCount,
        last_active_at: now,
        expires_at: now + ttlMs,
      });
      return { session, turns: stored, added: added.length };
    });
    return run.immediate();
  }

  async lastTurns(tenantId: string, sessionId: string, limit: number): Promise<MemoryItem[]> {
    const rows = this.db
      .prepare(
        `SELECT ${MEMORY_COLUMNS} FROM memories m WHERE m.tenant_id = ? AND m.session_id = ? AND m.kind = 'turn'
         ORDER BY m.seq DESC LIMIT ?`,
      )
      .all(tenantId, sessionId, limit) as MemoryRow[];
    return rows.reverse().map(toMemory);
  }

  async turnsInRange(
    tenantId: string,
    sessionId: string,
    afterSeq: number,
    throughSeq: number,
  ): Promise<MemoryItem[]> {
    const rows = this.db
      .prepare(
        `SELECT ${MEMORY_COLUMNS} FROM memories m WHERE m.tenant_id = ? AND m.session_id = ? AND m.kind = 'turn'
         AND m.seq > ? AND m.seq <= ? ORDER BY m.seq`,
      )
      .all(tenantId, sessionId, afterSeq, throughSeq) as MemoryRow[];
    return rows.map(toMemory);
  }

  async recordDistillation(
    input: Parameters<MemoryStore['recordDistillation']>[0],
  ): Promise<boolean> {
    const insert = this.db.prepare(INSERT_MEMORY);
    const run = this.db.transaction((): boolean => {
      const claimed = this.db
        .prepare(
          `UPDATE memory_sessions SET distilled_through = ? WHERE tenant_id = ? AND id = ? AND distilled_through = ?`,
        )
        .run(input.through, input.tenantId, input.sessionId, input.expectedThrough);
      if (claimed.changes === 0) return false;
      for (const episode of input.episodes)
        insert.run(memoryParams(input.tenantId, episode, input.now));
      if (input.endWorking === true) {
        this.db
          .prepare(
            `UPDATE memories SET tier = 'episodic' WHERE tenant_id = ? AND session_id = ? AND kind = 'turn' AND tier = 'working'`,
          )
          .run(input.tenantId, input.sessionId);
      }
      return true;
    });
    return run.immediate();
  }

  async sessionsDueForDistillation(input: {
    wmMaxTurns: number;
    minTurns: number;
    limit: number;
  }): Promise<Session[]> {
    const rows = this.db
      .prepare(
        `SELECT * FROM memory_sessions WHERE turn_count - ? - distilled_through >= ? ORDER BY last_active_at LIMIT ?`,
      )
      .all(input.wmMaxTurns, input.minTurns, input.limit) as SessionRow[];
    return rows.map(toSession);
  }

  async expiredSessions(now: number, limit: number): Promise<Session[]> {
    const rows = this.db
      .prepare('SELECT * FROM memory_sessions WHERE expires_at <= ? ORDER BY expires_at LIMIT ?')
      .all(now, limit) as SessionRow[];
    return rows.map(toSession);
  }

  async deleteSession(
    tenantId: string,
    sessionId: string,
    options: { purge?: boolean } = {},
  ): Promise<boolean> {
    const run = this.db.transaction((): boolean => {
      const deleted = this.db
        .prepare('DELETE FROM memory_sessions WHERE tenant_id = ? AND id = ?')
        .run(tenantId, sessionId);
      if (options.purge === true) {
        this.db
          .prepare('DELETE FROM memories WHERE tenant_id = ? AND session_id = ?')
          .run(tenantId, sessionId);
      } else {
        this.db
          .prepare(
            `DELETE FROM memories WHERE tenant_id = ? AND session_id = ? AND tier = 'working'`,
          )
          .run(tenantId, sessionId);
      }
      return deleted.changes > 0;
    });
    return run.immediate();
  }

  async insertMemories(tenantId: string, items: NewMemory[], now: number): Promise<void> {
    const insert = this.db.prepare(INSERT_MEMORY);
    this.db.transaction(() => {
      for (const item of items) insert.run(memoryParams(tenantId, item, now));
    })();
  }

  async getByIds(tenantId: string, ids: string[]): Promise<MemoryItem[]> {
    if (ids.length === 0) return [];
    const found = new Map<string, MemoryItem>();
    for (let offset = 0; offset < ids.length; offset += 500) {
      const slice = ids.slice(offset, offset + 500);
      const rows = this.db
        .prepare(
          `SELECT ${MEMORY_COLUMNS} FROM memories m WHERE m.tenant_id = ? AND m.id IN (${slice.map(() => '?').join(', ')})`,
        )
        .all(tenantId, ...slice) as MemoryRow[];
      for (const row of rows) found.set(row.id, toMemory(row));
    }
    return ids.flatMap((id) => found.get(id) ?? []);
  }

  async getNeighbors(tenantId: string, memoryId: string, window: number): Promise<MemoryItem[]> {
    const center = this.db
      .prepare('SELECT id, session_id, seq FROM memories WHERE tenant_id = ? AND id = ?')
      .get(tenantId, memoryId) as
      { id: string; session_id: string | null; seq: number | null } | undefined;
    if (center?.session_id == null || center.seq === null || window <= 0) return [];
    const rows = this.db
      .prepare(
        `SELECT ${MEMORY_COLUMNS} FROM memories m WHERE m.tenant_id = ? AND m.session_id = ? AND m.kind = 'turn'
         AND m.seq BETWEEN ? AND ? AND m.id <> ? ORDER BY m.seq`,
      )
      .all(
        tenantId,
        center.session_id,
        center.seq - window,
        center.seq + window,
        center.id,
      ) as MemoryRow[];
    return rows.map(toMemory);
  }

  async searchText(input: MemoryScope & { query: string; k: number }): Promise<MemoryHit[]> {
    const match = this.matchExpression(input.query);
    if (match === '' || input.k <= 0) return [];
    const scope = scopeClauses(input);
    // Rank on (pk, score) only, then read the k winners: sorting every match with its text and
    // JSON columns is what made wide OR queries slow.
    const ranked = this.db
      .prepare(
        `SELECT m.pk, -bm25(memories_fts) AS score FROM memories_fts
         JOIN memories m ON m.pk = memories_fts.rowid
         WHERE memories_fts MATCH ? AND ${scope.sql} ORDER BY score DESC, m.pk LIMIT ?`,
      )
      .all(match, ...scope.params, input.k) as Array<{ pk: number; score: number }>;
    return this.hitsOf(ranked);
  }

  /** Memory hits for ranked (pk, score) pairs, in their order. */
  private hitsOf(ranked: Array<{ pk: number; score: number }>): MemoryHit[] {
    if (ranked.length === 0) return [];
    const rows = this.db
      .prepare(
        `SELECT ${MEMORY_COLUMNS} FROM json_each(?) c CROSS JOIN memories m ON m.pk = c.value`,
      )
      .all(JSON.stringify(ranked.map((row) => row.pk))) as MemoryRow[];
    const byPk = new Map(rows.map((row) => [row.pk, row]));
    return ranked
      .flatMap((entry) => {
        const row = byPk.get(entry.pk);
        return row === undefined ? [] : [{ memory: toMemory(row), rank: 0, score: entry.score }];
      })
      .map((hit, index) => ({ ...hit, rank: index + 1 }));
  }

  async searchVector(
    input: MemoryScope & { vector: Float32Array; embedderId: string; k: number },
  ): Promise<MemoryHit[]> {
    if (input.k <= 0) return [];
    const index = this.vectorIndex(input.tenantId, input.embedderId, input.vector.length);
    const limit = Math.max(MIN_CANDIDATES, input.k * CANDIDATES_PER_RESULT);
    const { pks, matched } = index.candidates(
      input.vector,
      {
        ...(input.userId === undefined ? {} : { userId: input.userId }),
        ...(input.sessionId === undefined ? {} : { sessionId: input.sessionId }),
        ...(input.kinds === undefined ? {} : { kinds: input.kinds }),
        ...(input.timeRange?.from === undefined ? {} : { from: input.timeRange.from }),
        ...(input.timeRange?.to === undefined ? {} : { to: input.timeRange.to }),
      },
      limit,
    );
    const scope = scopeClauses(input);
    const blob = vectorBlob(input.vector);
    let ranked = this.db
      .prepare(
        // CROSS JOIN fixes the join order: start from the candidates, never scan the scope.
        `SELECT m.pk, 1 - vec_distance_cosine(v.vector, ?) AS score FROM json_each(?) c
         CROSS JOIN memory_vectors v ON v.memory_pk = c.value
         CROSS JOIN memories m ON m.pk = v.memory_pk
         WHERE v.embedder_id = ? AND v.tenant_id = ? AND ${scope.sql}
         ORDER BY score DESC, m.pk LIMIT ?`,
      )
      .all(
        blob,
        JSON.stringify([...new Set(pks)]),
        input.embedderId,
        input.tenantId,
        ...scope.params,
        input.k,
      ) as Array<{ pk: number; score: number }>;
    if (ranked.length < input.k && matched > pks.length) {
      // The mutable filters (tier) removed too many candidates: score the whole scope exactly.
      ranked = this.db
        .prepare(
          `SELECT m.pk, 1 - vec_distance_cosine(v.vector, ?) AS score FROM memory_vectors v
           JOIN memories m ON m.pk = v.memory_pk
           WHERE v.embedder_id = ? AND v.tenant_id = ? AND ${scope.sql} ORDER BY score DESC, m.pk LIMIT ?`,
        )
        .all(blob, input.embedderId, input.tenantId, ...scope.params, input.k) as Array<{
        pk: number;
        score: number;
      }>;
    }
    return this.hitsOf(ranked);
  }

  async countMemories(scope: MemoryScope): Promise<number> {
    const where = scopeClauses(scope);
    const row = this.db
      .prepare(`SELECT count(*) AS n FROM memories m WHERE ${where.sql}`)
      .get(...where.params) as {
      n: number;
    };
    return row.n;
  }

  async listUnembedded(
    limit: number,
  ): Promise<Array<Pick<MemoryItem, 'id' | 'tenantId' | 'text'>>> {
    const rows = this.db
      .prepare(
        'SELECT id, tenant_id, text FROM memories WHERE embedder_id IS NULL ORDER BY pk LIMIT ?',
      )
      .all(limit) as Array<{ id: string; tenant_id: string; text: string }>;
    return rows.map((row) => ({ id: row.id, tenantId: row.tenant_id, text: row.text }));
  }

  async putVectors(
    tenantId: string,
    embedderId: string,
    vectors: Array<{ memoryId: string; vector: Float32Array }>,
  ): Promise<void> {
    const find = this.db.prepare(
      'SELECT pk, user_id, session_id, kind, occurred_at FROM memories WHERE tenant_id = ? AND id = ?',
    );
    const upsert = this.db.prepare(
      `INSERT INTO memory_vectors (memory_pk, tenant_id, embedder_id, vector) VALUES (?, ?, ?, ?)
       ON CONFLICT (memory_pk) DO UPDATE SET embedder_id = excluded.embedder_id, vector = excluded.vector`,
    );
    const mark = this.db.prepare('UPDATE memories SET embedder_id = ? WHERE pk = ?');
    const index = this.vectorIndexes.get(`${tenantId}\u0000${embedderId}`);
    this.db
      .transaction(() => {
        for (const { memoryId, vector } of vectors) {
          const row = find.get(tenantId, memoryId) as
            | {
                pk: number;
                user_id: string | null;
                session_id: string | null;
                kind: string;
                occurred_at: number;
              }
            | undefined;
          if (row === undefined) continue;
          upsert.run(row.pk, tenantId, embedderId, vectorBlob(vector));
          mark.run(embedderId, row.pk);
          // Rows above maxPk are picked up by the next search; older ones (re-embedded, or written
          // out of order) must be added here or the index would never see them.
          if (index !== undefined && row.pk <= index.maxPk) {
            index.add({
              pk: row.pk,
              userId: row.user_id,
              sessionId: row.session_id,
              kind: row.kind,
              occurredAt: row.occurred_at,
              vector,
            });
          }
        }
      })
      .immediate();
  }

  async setSalience(
    tenantId: string,
    updates: Array<{ id: string; salience: number }>,
    now: number,
  ): Promise<string[]> {
    const update = this.db.prepare(
      'UPDATE memories SET salience = ?, salience_updated_at = ? WHERE tenant_id = ? AND id = ?',
    );
    return this.db
      .transaction(() =>
        updates.flatMap((item) =>
          update.run(item.salience, now, tenantId, item.id).changes > 0 ? [item.id] : [],
        ),
      )
      .immediate();
  }

  async promotionCandidates(minStored: number, limit: number): Promise<MemoryItem[]> {
    const rows = this.db
      .prepare(
        `SELECT ${MEMORY_COLUMNS} FROM memories m WHERE m.tier = 'episodic' AND m.promoted_id IS NULL AND m.salience >= ?
         ORDER BY m.salience DESC, m.pk LIMIT ?`,
      )
      .all(minStored, limit) as MemoryRow[];
    return rows.map(toMemory);
  }

  async recordPromotion(
    tenantId: string,
    originalId: string,
    promoted: NewMemory,
    now: number,
  ): Promise<boolean> {
    const insert = this.db.prepare(INSERT_MEMORY);
    return this.db
      .transaction((): boolean => {
        const marked = this.db
          .prepare(
            `UPDATE memories SET promoted_id = ? WHERE tenant_id = ? AND id = ? AND promoted_id IS NULL`,
          )
          .run(promoted.id, tenantId, originalId);
        if (marked.changes === 0) return false;
        insert.run(memoryParams(tenantId, promoted, now));
        // The copy keeps the original's vector, so it is searchable by meaning at once.
        this.db
          .prepare(
            `INSERT INTO memory_vectors (memory_pk, tenant_id, embedder_id, vector)
           SELECT c.pk, v.tenant_id, v.embedder_id, v.vector FROM memory_vectors v
           JOIN memories o ON o.pk = v.memory_pk JOIN memories c ON c.id = ?
           WHERE o.tenant_id = ? AND o.id = ?`,
          )
          .run(promoted.id, tenantId, originalId);
        this.db
          .prepare(
            `UPDATE memories SET embedder_id = (SELECT embedder_id FROM memory_vectors WHERE memory_pk = memories.pk)
           WHERE tenant_id = ? AND id = ?`,
          )
          .run(tenantId, promoted.id);
        return true;
      })
      .immediate();
  }

  async close(): Promise<void> {
    // The database handle belongs to whoever opened it (runtime.ts).
  }
}
