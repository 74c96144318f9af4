// PostgreSQL memory store: sessions and memory items, full-text via tsvector/GIN (ts_rank over an
// OR query), vectors via pgvector with one partial HNSW index per dimension (cosine) and
// iterative scans so scope filters still fill k.
import type pg from 'pg';
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

interface MemoryRow {
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
  occurred_at: string;
  created_at: string;
  salience: number;
  salience_updated_at: string;
  source: MemoryItem['source'];
  metadata: Record<string, unknown>;
  promoted_id: string | null;
  embedder_id: string | null;
}

interface SessionRow {
  tenant_id: string;
  id: string;
  user_id: string | null;
  agent_id: string | null;
  metadata: Record<string, unknown>;
  created_at: string;
  last_active_at: string;
  expires_at: string;
  turn_count: number;
  distilled_through: number;
}

const MEMORY_COLUMNS = `m.id, m.tenant_id, m.kind, m.tier, m.user_id, m.session_id, m.agent_id, m.speaker, m.text,
  m.seq, m.occurred_at, m.created_at, m.salience, m.salience_updated_at, m.source, m.metadata, m.promoted_id,
  m.embedder_id`;

const INSERT_COLUMNS = `(id, tenant_id, kind, tier, user_id, session_id, agent_id, speaker, text, seq, occurred_at,
  created_at, salience, salience_updated_at, source, metadata)`;

/** A natural-language query as a to_tsquery OR expression; the english config drops stop words. */
export function tsQuery(query: string): string {
  const terms = new Set<string>();
  for (const raw of query.toLowerCase().split(/[^\p{L}\p{N}]+/u)) {
    if (raw !== '') terms.add(raw);
    if (terms.size >= 64) break;
  }
  return [...terms].join(' | ');
}

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
    occurredAt: Number(row.occurred_at),
    createdAt: Number(row.created_at),
    salience: row.salience,
    salienceUpdatedAt: Number(row.salience_updated_at),
    source: row.source,
    metadata: row.metadata,
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
    metadata: row.metadata,
    createdAt: Number(row.created_at),
    lastActiveAt: Number(row.last_active_at),
    expiresAt: Number(row.expires_at),
    turnCount: row.turn_count,
    distilledThrough: row.distilled_through,
  };
}

function vectorLiteral(vector: Float32Array): string {
  return `[${Array.from(vector).join(',')}]`;
}

/** Multi-row INSERT … ON CONFLICT DO NOTHING for memory items. */
function insertMemoriesSql(
  tenantId: string,
  items: NewMemory[],
  now: number,
): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const tuples = items.map((item) => {
    const row = [
      item.id,
      tenantId,
      item.kind,
      item.tier,
      item.userId,
      item.sessionId,
      item.agentId,
      item.speaker,
      item.text,
      item.seq,
      item.occurredAt,
      now,
      item.salience ?? 0,
      now,
      JSON.stringify(item.source ?? {}),
      JSON.stringify(item.metadata ?? {}),
    ];
    const base = values.length;
    values.push(...row);
    return `(${row.map((_, index) => `$${base + index + 1}`).join(', ')})`;
  });
  return {
    text: `INSERT INTO memories ${INSERT_COLUMNS} VALUES ${tuples.join(', ')} ON CONFLICT (id) DO NOTHING`,
    values,
  };
}

class ScopeBuilder {
  readonly clauses: string[] = [];
  constructor(readonly values: unknown[]) {}
  param(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
  add(scope: MemoryScope): string {
    this.clauses.push(`m.tenant_id = ${this.param(scope.tenantId)}`);
    if (scope.userId !== undefined) {
      this.clauses.push(
        scope.userId === null ? 'm.user_id IS NULL' : `m.user_id = ${this.param(scope.userId)}`,
      );
    }
    if (scope.sessionId !== undefined)
      this.clauses.push(`m.session_id = ${this.param(scope.sessionId)}`);
    if (scope.tiers !== undefined)
      this.clauses.push(`m.tier = ANY(${this.param(scope.tiers)}::text[])`);
    if (scope.kinds !== undefined)
      this.clauses.push(`m.kind = ANY(${this.param(scope.kinds)}::text[])`);
    if (scope.timeRange?.from !== undefined)
      this.clauses.push(`m.occurred_at >= ${this.param(scope.timeRange.from)}`);
    if (scope.timeRange?.to !== undefined)
      this.clauses.push(`m.occurred_at < ${this.param(scope.timeRange.to)}`);
    return this.clauses.join(' AND ');
  }
}

const MAX_ROWS_PER_INSERT = 2000;

export class PostgresMemoryStore implements MemoryStore {
  private readonly indexedDimensions = new Set<number>();

  constructor(private readonly pool: pg.Pool) {}

  private async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
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

  async listSessions(tenantId: string, userId: string | null, limit = 100): Promise<Session[]> {
    const result = await this.pool.query<SessionRow>(
      `SELECT * FROM memory_sessions WHERE tenant_id = $1 AND user_id IS NOT DISTINCT FROM $2
       ORDER BY last_active_at DESC, id DESC LIMIT $3`,
      [tenantId, userId, limit],
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
      if (input.episodes.length > 0) {
        const insert = insertMemoriesSql(input.tenantId, input.episodes, input.now);
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
      `SELECT * FROM memory_sessions WHERE turn_count - $1 - distilled_through >= $2 ORDER BY last_active_at LIMIT $3`,
      [input.wmMaxTurns, input.minTurns, input.limit],
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

  async getNeighbors(tenantId: string, memoryId: string, window: number): Promise<MemoryItem[]> {
    if (window <= 0) return [];
    const result = await this.pool.query<MemoryRow>(
      `SELECT ${MEMORY_COLUMNS} FROM memories c JOIN memories m
         ON m.tenant_id = c.tenant_id AND m.session_id = c.session_id AND m.kind = 'turn'
         AND m.seq BETWEEN c.seq - $3 AND c.seq + $3 AND m.id <> c.id
       WHERE c.tenant_id = $1 AND c.id = $2 ORDER BY m.seq`,
      [tenantId, memoryId, window],
    );
    return result.rows.map(toMemory);
  }

  async searchText(input: MemoryScope & { query: string; k: number }): Promise<MemoryHit[]> {
    const query = tsQuery(input.query);
    if (query === '' || input.k <= 0) return [];
    const scope = new ScopeBuilder([query]);
    const where = scope.add(input);
    const limit = scope.param(input.k);
    const result = await this.pool.query<MemoryRow & { score: number }>(
      `SELECT ${MEMORY_COLUMNS}, ts_rank(m.text_search, q, 1) AS score
       FROM memories m, to_tsquery('english', $1) q
       WHERE m.text_search @@ q AND ${where} ORDER BY score DESC, m.id LIMIT ${limit}`,
      scope.values,
    );
    return result.rows.map((row, index) => ({
      memory: toMemory(row),
      rank: index + 1,
      score: row.score,
    }));
  }

  async searchVector(
    input: MemoryScope & { vector: Float32Array; embedderId: string; k: number },
  ): Promise<MemoryHit[]> {
    if (input.k <= 0) return [];
    const dim = input.vector.length;
    if (!Number.isInteger(dim) || dim < 1 || dim > 16_000) return [];
    const scope = new ScopeBuilder([vectorLiteral(input.vector), input.embedderId]);
    const where = scope.add(input);
    const limit = scope.param(input.k);
    const distance = `m.embedding::vector(${dim}) <=> $1::vector(${dim})`;
    const rows = await this.transaction(async (client) => {
      // pgvector 0.8: keep scanning the HNSW graph until k rows pass the scope filter.
      await client.query(`SET LOCAL hnsw.iterative_scan = relaxed_order`);
      await client.query(`SET LOCAL hnsw.ef_search = ${Math.min(1000, Math.max(40, input.k * 2))}`);
      const result = await client.query<MemoryRow & { distance: number }>(
        `SELECT ${MEMORY_COLUMNS}, ${distance} AS distance FROM memories m
         WHERE m.embedder_id = $2 AND m.embedding_dim = ${dim} AND ${where}
         ORDER BY ${distance} LIMIT ${limit}`,
        scope.values,
      );
      return result.rows;
    });
    // relaxed_order may return rows slightly out of order.
    rows.sort((a, b) => a.distance - b.distance || (a.id < b.id ? -1 : 1));
    return rows.map((row, index) => ({
      memory: toMemory(row),
      rank: index + 1,
      score: 1 - row.distance,
    }));
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

  async listUnembedded(
    limit: number,
  ): Promise<Array<Pick<MemoryItem, 'id' | 'tenantId' | 'text'>>> {
    const result = await this.pool.query<{ id: string; tenant_id: string; text: string }>(
      'SELECT id, tenant_id, text FROM memories WHERE embedder_id IS NULL ORDER BY inserted LIMIT $1',
      [limit],
    );
    return result.rows.map((row) => ({ id: row.id, tenantId: row.tenant_id, text: row.text }));
  }

  private async ensureVectorIndex(dim: number): Promise<void> {
    if (this.indexedDimensions.has(dim)) return;
    try {
      await this.pool.query(
        `CREATE INDEX IF NOT EXISTS memories_embedding_hnsw_${dim} ON memories
         USING hnsw ((embedding::vector(${dim})) vector_cosine_ops) WHERE embedding_dim = ${dim}`,
      );
    } catch (error) {
      // Two processes creating the same index at once: the loser sees a duplicate; fine.
      if (
        (error as { code?: string }).code !== '23505' &&
        (error as { code?: string }).code !== '42P07'
      )
        throw error;
    }
    this.indexedDimensions.add(dim);
  }

  async putVectors(
    tenantId: string,
    embedderId: string,
    vectors: Array<{ memoryId: string; vector: Float32Array }>,
  ): Promise<void> {
    if (vectors.length === 0) return;
    const dims = new Set(vectors.map((item) => item.vector.length));
    for (const dim of dims) {
      if (!Number.isInteger(dim) || dim < 1 || dim > 16_000) {
        throw new AppError('EMBEDDER_MISMATCH', `Vector dimension ${dim} is not supported.`);
      }
      await this.ensureVectorIndex(dim);
    }
    await this.pool.query(
      `UPDATE memories m SET embedding = u.vector::vector, embedding_dim = u.dim, embedder_id = $2
       FROM unnest($3::text[], $4::text[], $5::int[]) AS u(id, vector, dim)
       WHERE m.tenant_id = $1 AND m.id = u.id`,
      [
        tenantId,
        embedderId,
        vectors.map((item) => item.memoryId),
        vectors.map((item) => vectorLiteral(item.vector)),
        vectors.map((item) => item.vector.length),
      ],
    );
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
