// SQLite memory store: sessions and memory items in the embedded file (row CRUD). Session rows
// alone are in memory-sessions.ts; BM25 search over FTS5 in memory-text-search.ts; vectors
// (sign-bit index, exact cosine re-scoring with sqlite-vec) in memory-vector-search.ts; row
// shapes in memory-rows.ts.
import { derivedClosure } from '../../domain/derived-memories.js';
import { AppError } from '../../domain/errors.js';
import {
  distinctPlaces,
  type AppendTurnsResult,
  type MemoryHit,
  type EpisodePosition,
  type MemoryItem,
  type MemoryScope,
  type MemorySource,
  type MemoryStore,
  type NewMemory,
  type NewSession,
  type Session,
  type SessionPosition,
  type TurnPlace,
} from '../../ports/memory-store.js';
import type { SqliteHandle } from './database.js';
import { statement } from './statement-cache.js';
import {
  INSERT_MEMORY,
  MEMORY_COLUMNS,
  memoryParams,
  toMemory,
  toSession,
  type MemoryRow,
  type SessionRow,
} from './memory-rows.js';
import { scopeClauses } from './memory-scope.js';
import { SqliteMemoryTextSearch, type MemoryTextQuery } from './memory-text-search.js';
import type { SqliteSearchThreads } from './search-threads.js';
import { SqliteMemoryVectors } from './memory-vector-search.js';
import { SqliteMemorySessions } from './memory-sessions.js';

export class SqliteMemoryStore implements MemoryStore {
  private readonly textSearch: SqliteMemoryTextSearch;
  private readonly vectors: SqliteMemoryVectors;
  private readonly sessions: SqliteMemorySessions;

  private readonly searchThreads: SqliteSearchThreads | undefined;
  /** `searchThreads`: full-text search in threads of their own (search-threads.ts). */
  constructor(
    private readonly db: SqliteHandle,
    options: { searchThreads?: SqliteSearchThreads | undefined } = {},
  ) {
    this.searchThreads = options.searchThreads;
    this.textSearch = new SqliteMemoryTextSearch(db);
    this.vectors = new SqliteMemoryVectors(db);
    this.sessions = new SqliteMemorySessions(db);
  }

  async createSession(session: NewSession): Promise<Session> {
    return this.sessions.create(session);
  }

  async getSession(tenantId: string, sessionId: string): Promise<Session | undefined> {
    return this.sessions.get(tenantId, sessionId);
  }

  async listSessions(
    tenantId: string,
    userId: string | null,
    limit = 100,
    after?: SessionPosition,
  ): Promise<Session[]> {
    return this.sessions.list(tenantId, userId, limit, after);
  }

  async sessionsDueForDistillation(
    input: Parameters<MemoryStore['sessionsDueForDistillation']>[0],
  ): Promise<Session[]> {
    return this.sessions.dueForDistillation(input);
  }

  async expiredSessions(now: number, limit: number): Promise<Session[]> {
    return this.sessions.expired(now, limit);
  }

  async countActiveSessions(tenantId: string, now: number): Promise<number> {
    return this.sessions.countActive(tenantId, now);
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

  async sessionEpisodes(
    tenantId: string,
    sessionId: string,
    after: EpisodePosition | null,
    limit: number,
  ): Promise<MemoryItem[]> {
    const rows = this.db
      .prepare(
        `SELECT ${MEMORY_COLUMNS} FROM memories m WHERE m.tenant_id = ? AND m.session_id = ? AND m.kind = 'episode'
          AND (m.occurred_at, m.id) > (?, ?) ORDER BY m.occurred_at, m.id LIMIT ?`,
      )
      .all(
        tenantId,
        sessionId,
        after?.occurredAt ?? Number.MIN_SAFE_INTEGER,
        after?.id ?? '',
        limit,
      ) as MemoryRow[];
    return rows.map(toMemory);
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
      for (const episode of input.episodes) {
        if (this.allPresent(input.tenantId, episode.source?.turnIds ?? []))
          insert.run(memoryParams(input.tenantId, episode, input.now));
      }
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

  /** Whether every id names a memory of the tenant (a forgotten turn is not). */
  private allPresent(tenantId: string, ids: string[]): boolean {
    if (ids.length === 0) return true;
    const row = this.db
      .prepare(
        // `+tenant_id`: found by id; the planner, without statistics, took the tenant's whole index.
        'SELECT count(*) AS n FROM memories WHERE +tenant_id = ? AND id IN (SELECT value FROM json_each(?))',
      )
      .get(tenantId, JSON.stringify(ids)) as { n: number };
    return row.n === new Set(ids).size;
  }

  async forgetMemory(tenantId: string, memoryId: string): Promise<string[]> {
    const run = this.db.transaction((): string[] => {
      const target = this.db
        .prepare('SELECT user_id FROM memories WHERE tenant_id = ? AND id = ?')
        .get(tenantId, memoryId) as { user_id: string | null } | undefined;
      if (target === undefined) return [];
      // Derived items belong to the same user; read their sources once, close over them in JS.
      const sources = this.db
        .prepare(
          `SELECT id, source FROM memories WHERE tenant_id = ? AND user_id IS ? AND source != '{}'`,
        )
        .all(tenantId, target.user_id) as Array<{ id: string; source: string }>;
      const forgotten = derivedClosure(
        [memoryId],
        sources.map((row) => ({ id: row.id, source: JSON.parse(row.source) as MemorySource })),
      );
      const remove = this.db.prepare('DELETE FROM memories WHERE tenant_id = ? AND id = ?');
      for (const id of forgotten) remove.run(tenantId, id);
      return forgotten;
    });
    return run.immediate();
  }

  async forgetUser(
    tenantId: string,
    userId: string,
  ): Promise<{ memories: number; sessions: number }> {
    const run = this.db.transaction(() => {
      const sessions = this.db
        .prepare('DELETE FROM memory_sessions WHERE tenant_id = ? AND user_id = ?')
        .run(tenantId, userId).changes;
      const memories = this.db
        .prepare('DELETE FROM memories WHERE tenant_id = ? AND user_id = ?')
        .run(tenantId, userId).changes;
      return { memories, sessions };
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
      // `+tenant_id`: found by id (with four ids or more the planner, without statistics, read
      // the tenant's whole index: 117 ms at 100,000 memories against 0.2).
      const rows = this.db
        .prepare(
          `SELECT ${MEMORY_COLUMNS} FROM memories m WHERE +m.tenant_id = ? AND m.id IN (${slice.map(() => '?').join(', ')})`,
        )
        .all(tenantId, ...slice) as MemoryRow[];
      for (const row of rows) found.set(row.id, toMemory(row));
    }
    return ids.flatMap((id) => found.get(id) ?? []);
  }

  async getTurnsAt(tenantId: string, places: TurnPlace[]): Promise<MemoryItem[]> {
    const read = statement(
      this.db,
      `SELECT ${MEMORY_COLUMNS} FROM memories m
       WHERE m.tenant_id = ? AND m.session_id = ? AND m.seq = ? AND m.kind = 'turn' ORDER BY m.id`,
    );
    return distinctPlaces(places).flatMap((place) =>
      (read.all(tenantId, place.sessionId, place.seq) as MemoryRow[]).map(toMemory),
    );
  }

  async searchText(input: MemoryTextQuery): Promise<MemoryHit[]> {
    const local = (query: MemoryTextQuery) => this.textSearch.search(query);
    return this.searchThreads === undefined
      ? local(input)
      : this.searchThreads.memories(input, local);
  }

  async searchVector(
    input: MemoryScope & { vector: Float32Array; embedderId: string; k: number },
  ): Promise<MemoryHit[]> {
    return this.vectors.search(input);
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
    this.vectors.putVectors(tenantId, embedderId, vectors);
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
            `INSERT INTO memory_vectors (memory_pk, tenant_id, embedder_id, vector, signs, quantised)
           SELECT c.pk, v.tenant_id, v.embedder_id, v.vector, v.signs, v.quantised FROM memory_vectors v
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
