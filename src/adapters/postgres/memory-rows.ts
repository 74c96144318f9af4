// PostgreSQL memory store, rows: the shapes of memory and session rows, their mapping to port
// records (bigint columns arrive as strings) and the multi-row INSERT for memory items.
import type { MemoryItem, NewMemory, Session } from '../../ports/memory-store.js';

export interface MemoryRow {
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

export interface SessionRow {
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

export const MEMORY_COLUMNS = `m.id, m.tenant_id, m.kind, m.tier, m.user_id, m.session_id, m.agent_id, m.speaker, m.text,
  m.seq, m.occurred_at, m.created_at, m.salience, m.salience_updated_at, m.source, m.metadata, m.promoted_id,
  m.embedder_id`;

export const INSERT_COLUMNS = `(id, tenant_id, kind, tier, user_id, session_id, agent_id, speaker, text, seq, occurred_at,
  created_at, salience, salience_updated_at, source, metadata)`;

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

export function toSession(row: SessionRow): Session {
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

/** Multi-row INSERT … ON CONFLICT DO NOTHING for memory items. */
export function insertMemoriesSql(
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

export const MAX_ROWS_PER_INSERT = 2000;
