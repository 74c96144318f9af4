// SQLite memory store, rows: the shapes of memory and session rows, their mapping to port
// records (JSON columns parsed), the INSERT for memory items and the read of ranked hits.
import type { MemoryHit, MemoryItem, NewMemory, Session } from '../../ports/memory-store.js';
import type { SqliteHandle } from './database.js';
import { statement } from './statement-cache.js';

export interface MemoryRow {
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

export interface SessionRow {
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

export const MEMORY_COLUMNS = `m.pk, m.id, m.tenant_id, m.kind, m.tier, m.user_id, m.session_id, m.agent_id, m.speaker,
  m.text, m.seq, m.occurred_at, m.created_at, m.salience, m.salience_updated_at, m.source, m.metadata,
  m.promoted_id, m.embedder_id`;

export const INSERT_MEMORY = `INSERT OR IGNORE INTO memories (id, tenant_id, kind, tier, user_id, session_id, agent_id,
  speaker, text, seq, occurred_at, created_at, salience, salience_updated_at, source, metadata)
  VALUES (@id, @tenantId, @kind, @tier, @userId, @sessionId, @agentId, @speaker, @text, @seq, @occurredAt,
  @createdAt, @salience, @createdAt, @source, @metadata)`;

export function toMemory(row: MemoryRow): MemoryItem {
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

export function toSession(row: SessionRow): Session {
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

export function memoryParams(tenantId: string, item: NewMemory, now: number) {
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

/** Memory hits for ranked (pk, score) pairs, in their order. */
export function hitsOf(
  db: SqliteHandle,
  ranked: Array<{ pk: number; score: number }>,
): MemoryHit[] {
  if (ranked.length === 0) return [];
  const rows = statement(
    db,
    `SELECT ${MEMORY_COLUMNS} FROM json_each(?) c CROSS JOIN memories m ON m.pk = c.value`,
  ).all(JSON.stringify(ranked.map((row) => row.pk))) as MemoryRow[];
  const byPk = new Map(rows.map((row) => [row.pk, row]));
  return ranked
    .flatMap((entry) => {
      const row = byPk.get(entry.pk);
      return row === undefined ? [] : [{ memory: toMemory(row), rank: 0, score: entry.score }];
    })
    .map((hit, index) => ({ ...hit, rank: index + 1 }));
}
