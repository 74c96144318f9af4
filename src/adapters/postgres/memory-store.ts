// PostgreSQL memory store: sessions and memory items (row CRUD). Full-text search is in
// memory-text-search.ts (tsvector/GIN, ts_rank over an OR query); vectors and their per-dimension
// HNSW indexes in memory-vector-search.ts; row shapes in memory-rows.ts.
import type pg from 'pg';
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
import {
  insertMemoriesSql,
  MAX_ROWS_PER_INSERT,
  MEMORY_COLUMNS,
  toMemory,
  toSession,
  type MemoryRow,
  type SessionRow,
} from './memory-rows.js';
import { ScopeBuilder } from './memory-scope.js';
import { systemClock } from '../../domain/clock.js';
import { searchMemoryText } from './memory-text-search.js';
import { createTermPostings } from './term-postings.js';
import { createValueRows } from './value-rows.js';
import { PostgresMemoryVectors } from './memory-vector-search.js';
import { withTransaction } from './transaction.js';

export class PostgresMemoryStore implements MemoryStore {
  private readonly vectors: PostgresMemoryVectors;
  /** Statistics of this store's schema that searches plan by. */
  private readonly statistics = {
    termPostings: createTermPostings(systemClock, 'memories', 'text_search'),
    userRows: createValueRows(systemClock, 'memories', 'user_id'),
    tenantRows: createValueRows(systemClock, 'memories', 'tenant_id'),
  };

  constructor(private readonly pool: pg.Pool) {
    this.vectors = new PostgresMemoryVectors(pool, this.statistics);
  }

  private async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return withTransaction(this.pool, work);
  }

  async createSession(session: NewSession): Promise<Session> {
    await this.pool.query(
      `INSERT INTO memory_sessions (tenant_id, id, user_id, agent_id, metadata, created_at, last_active_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $6, $7)`,
      [
        session.tenantId,
        session.id,
        session.userId,
        session.agentId,
        JSON.stringify(session.metadata),
        session.createdAt,
        session.expiresAt,
      ],
    );
    return { ...session, lastActiveAt: session.createdAt, turnCount: 0, distilledThrough: 0 };
  }

  async getSession(tenantId: string, sessionId: string): Promise<Session | undefined> {
    const result = await this.pool.query<SessionRow>(
      'SELECT * FROM memory_sessions WHERE tenant_id = $1 AND id = $2',
      [tenantId, sessionId],
    );
    const row = result.rows[0];
    return row === undefined ? undefined : toSession(row);
  }

  async listSessions(
    tenantId: string,
    userId: string | null,
    limit = 100,
    after?: SessionPosition,
  ): Promise<Session[]> {
    const result = await this.pool.query<SessionRow>(
      `SELECT * FROM memory_sessions WHERE tenant_id = $1 AND user_id IS NOT DISTINCT FROM $2
         AND ($4::bigint IS NULL OR (last_active_at, id) < ($4::bigint, $5::text))
       ORDER BY last_active_at DESC, id DESC LIMIT $3`,
      [tenantId, userId, limit, after?.lastActiveAt ?? null, after?.id ?? null],
    );
    return result.rows.map(toSession);
  }

  async appendTurns(input: Parameters<MemoryStore['appendTurns']>[0]): Promise<AppendTurnsResult> {
    const { tenantId, sessionId, turns, now, ttlMs, wmMaxTurns } = input;
    return this.transaction(async (client) => {
      const found = await client.query<SessionRow>(
        'SELECT * FROM memory_sessions WHERE tenant_id = $1 AND id = $2 FOR UPDATE',
        [tenantId, sessionId],
      );
      const row = found.rows[0];
      if (row === undefined || Number(row.expires_at) <= now) {
        throw new AppError(
          'SESSION_NOT_FOUND',
          `Session ${sessionId} does not exist or has expired.`,
        );
      }
      // A retried turn (same id) is returned as stored, not added again.
      const existingRows = await client.query<MemoryRow>(
        `SELECT ${MEMORY_COLUMNS} FROM memories m WHERE m.tenant_id = $1 AND m.session_id = $2 AND m.kind = 'turn'
         AND m.id = ANY($3::text[])`,
        [tenantId, sessionId, turns.map((turn) => turn.id)],
      );
      const existing = new Map(existingRows.rows.map((found) => [found.id, toMemory(found)]));
      const seen = new Set<string>();
      const fresh = turns.filter((turn) => {
        if (existing.has(turn.id) || seen.has(turn.id)) return false;
        seen.add(turn.id);
        return true;
      });
      const turnCount = row.turn_count + fresh.length;
      const workingFrom = turnCount - wmMaxTurns;
      const items: NewMemory[] = fresh.map((turn, index) => {
        const seq = row.turn_count + index + 1;
        return {
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
      });
      for (let offset = 0; offset < items.length; offset += MAX_ROWS_PER_INSERT) {
        const insert = insertMemoriesSql(
          tenantId,
          items.slice(offset, offset + MAX_ROWS_PER_INSERT),
          now,
        );
        await client.query(insert.text, insert.values);
      }
      await client.query(
        'UPDATE memory_sessions SET turn_count = $1, last_active_at = $2, expires_at = $3 WHERE tenant_id = $4 AND id = $5',
        [turnCount, now, now + ttlMs, tenantId, sessionId],
      );
      await client.query(
        `UPDATE memories SET tier = 'episodic' WHERE tenant_id = $1 AND session_id = $2 AND kind = 'turn'
           AND tier = 'working' AND seq <= $3`,
        [tenantId, sessionId, workingFrom],
      );
      const session = toSession({
        ...row,
        turn_count: turnCount,
        last_active_at: String(now),
        expires_at: String(now + ttlMs),
      });
      const added: MemoryItem[] = items.map((item) => ({
        ...item,
        tenantId,
        createdAt: now,
        salience: 0,
        salienceUpdatedAt: now,
        source: {},
        metadata: item.metadata ?? {},
        promotedId: null,
        embedderId: null,
      }));
      const byId = new Map([...existing, ...added.map((item) => [item.id, item] as const)]);
      return {
        session,
        turns: turns.flatMap((turn) => byId.get(turn.id) ?? []),
        added: added.length,
      };
    });
  }

  async lastTurns(tenantId: string, sessionId: string, limit: number): Promise<MemoryItem[]> {
    const result = await this.pool.query<MemoryRow>(
      `SELECT ${MEMORY_COLUMNS} FROM memories m WHERE m.tenant_id = $1 AND m.session_id = $2 AND m.kind = 'turn'
       ORDER BY m.seq DESC LIMIT $3`,
      [tenantId, sessionId, limit],
    );
    return result.rows.reverse().map(toMemory);
  }

  async sessionEpisodes(
    tenantId: string,
    sessionId: string,
    after: EpisodePosition | null,
    limit: number,
  ): Promise<MemoryItem[]> {
    const result = await this.pool.query<MemoryRow>(
      `SELECT ${MEMORY_COLUMNS} FROM memories m WHERE m.tenant_id = $1 AND m.session_id = $2 AND m.kind = 'episode'
        AND (m.occurred_at, m.id) > ($3::bigint, $4::text) ORDER BY m.occurred_at, m.id LIMIT $5`,
      [tenantId, sessionId, after?.occurredAt ?? Number.MIN_SAFE_INTEGER, after?.id ?? '', limit],
    );
    return result.rows.map(toMemory);
  }

  async turnsInRange(
    tenantId: string,
    sessionId: string,
    afterSeq: number,
    throughSeq: number,
  ): Promise<MemoryItem[]> {
    const result = await this.pool.query<MemoryRow>(
      `SELECT ${MEMORY_COLUMNS} FROM memories m WHERE m.tenant_id = $1 AND m.session_id = $2 AND m.kind = 'turn'
       AND m.seq > $3 AND m.seq <= $4 ORDER BY m.seq`,
      [tenantId, sessionId, afterSeq, throughSeq],
    );
    return result.rows.map(toMemory);
  }

  async recordDistillation(
    input: Parameters<MemoryStore['recordDistillation']>[0],
  ): Promise<boolean> {
    return this.transaction(async (client) => {
      const claimed = await client.query(
        'UPDATE memory_sessions SET distilled_through = $1 WHERE tenant_id = $2 AND id = $3 AND distilled_through = $4',
        [input.through, input.tenantId, input.sessionId, input.expectedThrough],
      );
      if (claimed.rowCount === 0) return false;
      // FOR SHARE: a forget of one of these turns waits for this transaction, then sees the
      // episode and takes it too; or it went first, and the episode is left out here.
      const episodes: NewMemory[] = [];
      for (const episode of input.episodes) {
        const turnIds = [...new Set(episode.source?.turnIds ?? [])];
        const present = await client.query(
          'SELECT id FROM memories WHERE tenant_id = $1 AND id = ANY($2::text[]) FOR SHARE',
          [input.tenantId, turnIds],
        );
        if (present.rowCount === turnIds.length) episodes.push(episode);
      }
      if (episodes.length > 0) {
        const insert = insertMemoriesSql(input.tenantId, episodes, input.now);
        await client.query(insert.text, insert.values);
      }
      if (input.endWorking === true) {
        await client.query(
          `UPDATE memories SET tier = 'episodic' WHERE tenant_id = $1 AND session_id = $2 AND kind = 'turn' AND tier = 'working'`,
          [input.tenantId, input.sessionId],
        );
      }
      return true;
    });
  }

  async sessionsDueForDistillation(input: {
    wmMaxTurns: number;
    minTurns: number;
    limit: number;
  }): Promise<Session[]> {
    const result = await this.pool.query<SessionRow>(
      // The expression of the index memory_sessions_due (migration 206), as it is written there.
      `SELECT * FROM memory_sessions WHERE (turn_count - distilled_through) >= $1 ORDER BY last_active_at LIMIT $2`,
      [input.wmMaxTurns + input.minTurns, input.limit],
    );
    return result.rows.map(toSession);
  }

  async expiredSessions(now: number, limit: number): Promise<Session[]> {
    const result = await this.pool.query<SessionRow>(
      'SELECT * FROM memory_sessions WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2',
      [now, limit],
    );
    return result.rows.map(toSession);
  }

  async deleteSession(
    tenantId: string,
    sessionId: string,
    options: { purge?: boolean } = {},
  ): Promise<boolean> {
    return this.transaction(async (client) => {
      const deleted = await client.query(
        'DELETE FROM memory_sessions WHERE tenant_id = $1 AND id = $2',
        [tenantId, sessionId],
      );
      await client.query(
        options.purge === true
          ? 'DELETE FROM memories WHERE tenant_id = $1 AND session_id = $2'
          : `DELETE FROM memories WHERE tenant_id = $1 AND session_id = $2 AND tier = 'working'`,
        [tenantId, sessionId],
      );
      return (deleted.rowCount ?? 0) > 0;
    });
  }

  async forgetMemory(tenantId: string, memoryId: string): Promise<string[]> {
    return this.transaction(async (client) => {
      const target = await client.query<{ user_id: string | null }>(
        'DELETE FROM memories WHERE tenant_id = $1 AND id = $2 RETURNING user_id',
        [tenantId, memoryId],
      );
      if (target.rowCount === 0) return [];
      // Derived items belong to the same user; this statement sees every episode committed
      // before the delete above (recordDistillation holds its turns FOR SHARE until it commits).
      const sources = await client.query<{ id: string; source: MemorySource }>(
        `SELECT id, source FROM memories WHERE tenant_id = $1 AND user_id IS NOT DISTINCT FROM $2 AND source <> '{}'::jsonb`,
        [tenantId, target.rows[0]!.user_id],
      );
      const forgotten = derivedClosure([memoryId], sources.rows);
      await client.query('DELETE FROM memories WHERE tenant_id = $1 AND id = ANY($2::text[])', [
        tenantId,
        forgotten.slice(1),
      ]);
      return forgotten;
    });
  }

  async forgetUser(
    tenantId: string,
    userId: string,
  ): Promise<{ memories: number; sessions: number }> {
    return this.transaction(async (client) => {
      const sessions = await client.query(
        'DELETE FROM memory_sessions WHERE tenant_id = $1 AND user_id = $2',
        [tenantId, userId],
      );
      const memories = await client.query(
        'DELETE FROM memories WHERE tenant_id = $1 AND user_id = $2',
        [tenantId, userId],
      );
      return { memories: memories.rowCount ?? 0, sessions: sessions.rowCount ?? 0 };
    });
  }

  async insertMemories(tenantId: string, items: NewMemory[], now: number): Promise<void> {
    if (items.length === 0) return;
    await this.transaction(async (client) => {
      for (let offset = 0; offset < items.length; offset += MAX_ROWS_PER_INSERT) {
        const insert = insertMemoriesSql(
          tenantId,
          items.slice(offset, offset + MAX_ROWS_PER_INSERT),
          now,
        );
        await client.query(insert.text, insert.values);
      }
    });
  }

  async getByIds(tenantId: string, ids: string[]): Promise<MemoryItem[]> {
    if (ids.length === 0) return [];
    const result = await this.pool.query<MemoryRow>(
      `SELECT ${MEMORY_COLUMNS} FROM memories m WHERE m.tenant_id = $1 AND m.id = ANY($2::text[])`,
      [tenantId, ids],
    );
    const found = new Map(result.rows.map((row) => [row.id, toMemory(row)]));
    return ids.flatMap((id) => found.get(id) ?? []);
  }

  async getTurnsAt(tenantId: string, places: TurnPlace[]): Promise<MemoryItem[]> {
    const wanted = distinctPlaces(places);
    if (wanted.length === 0) return [];
    const result = await this.pool.query<MemoryRow>(
      `SELECT ${MEMORY_COLUMNS} FROM unnest($2::text[], $3::bigint[]) WITH ORDINALITY AS p(session_id, seq, n)
       JOIN memories m ON m.tenant_id = $1 AND m.session_id = p.session_id AND m.seq = p.seq
         AND m.kind = 'turn'
       ORDER BY p.n, m.id`,
      [tenantId, wanted.map((place) => place.sessionId), wanted.map((place) => place.seq)],
    );
    return result.rows.map(toMemory);
  }

  async searchText(input: MemoryScope & { query: string; k: number }): Promise<MemoryHit[]> {
    return searchMemoryText(this.pool, this.statistics, input);
  }

  async searchVector(
    input: MemoryScope & { vector: Float32Array; embedderId: string; k: number },
  ): Promise<MemoryHit[]> {
    return this.vectors.search(input);
  }

  async countMemories(scope: MemoryScope): Promise<number> {
    const builder = new ScopeBuilder([]);
    const where = builder.add(scope);
    const result = await this.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM memories m WHERE ${where}`,
      builder.values,
    );
    return Number(result.rows[0]?.n ?? 0);
  }

  async countActiveSessions(tenantId: string, now: number): Promise<number> {
    const result = await this.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM memory_sessions WHERE tenant_id = $1 AND expires_at > $2`,
      [tenantId, now],
    );
    return Number(result.rows[0]?.n ?? 0);
  }

  async listUnembedded(
    limit: number,
  ): Promise<Array<Pick<MemoryItem, 'id' | 'tenantId' | 'text'>>> {
    const result = await this.pool.query<{ id: string; tenant_id: string; text: string }>(
      'SELECT id, tenant_id, text FROM memories WHERE embedder_id IS NULL ORDER BY inserted LIMIT $1',
      [limit],
    );
    return result.rows.map((row) => ({ id: row.id, tenantId: row.tenant_id, text: row.text }));
  }

  async putVectors(
    tenantId: string,
    embedderId: string,
    vectors: Array<{ memoryId: string; vector: Float32Array }>,
  ): Promise<void> {
    return this.vectors.putVectors(tenantId, embedderId, vectors);
  }

  async setSalience(
    tenantId: string,
    updates: Array<{ id: string; salience: number }>,
    now: number,
  ): Promise<string[]> {
    if (updates.length === 0) return [];
    const result = await this.pool.query<{ id: string }>(
      `UPDATE memories m SET salience = u.salience, salience_updated_at = $2
       FROM unnest($3::text[], $4::float8[]) AS u(id, salience)
       WHERE m.tenant_id = $1 AND m.id = u.id RETURNING m.id`,
      [tenantId, now, updates.map((item) => item.id), updates.map((item) => item.salience)],
    );
    const updated = new Set(result.rows.map((row) => row.id));
    return updates.flatMap((item) => (updated.has(item.id) ? [item.id] : []));
  }

  async promotionCandidates(minStored: number, limit: number): Promise<MemoryItem[]> {
    const result = await this.pool.query<MemoryRow>(
      `SELECT ${MEMORY_COLUMNS} FROM memories m WHERE m.tier = 'episodic' AND m.promoted_id IS NULL AND m.salience >= $1
       ORDER BY m.salience DESC, m.id LIMIT $2`,
      [minStored, limit],
    );
    return result.rows.map(toMemory);
  }

  async recordPromotion(
    tenantId: string,
    originalId: string,
    promoted: NewMemory,
    now: number,
  ): Promise<boolean> {
    return this.transaction(async (client) => {
      const marked = await client.query(
        'UPDATE memories SET promoted_id = $1 WHERE tenant_id = $2 AND id = $3 AND promoted_id IS NULL',
        [promoted.id, tenantId, originalId],
      );
      if (marked.rowCount === 0) return false;
      const insert = insertMemoriesSql(tenantId, [promoted], now);
      await client.query(insert.text, insert.values);
      // The copy keeps the original's vector, so it is searchable by meaning at once.
      await client.query(
        `UPDATE memories c SET embedding = o.embedding, embedding_dim = o.embedding_dim, embedder_id = o.embedder_id
         FROM memories o WHERE o.tenant_id = $1 AND o.id = $2 AND c.tenant_id = $1 AND c.id = $3
         AND o.embedder_id IS NOT NULL`,
        [tenantId, originalId, promoted.id],
      );
      return true;
    });
  }

  async close(): Promise<void> {
    // The pool belongs to whoever opened it (runtime.ts).
  }
}
