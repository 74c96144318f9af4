// SQLite memory store, session rows: create, read, list and count sessions (memory_sessions).
// What touches a session's memories too (appending turns, distilling, deleting a session or a
// user) stays in memory-store.ts, in its transactions.
import type { NewSession, Session, SessionPosition } from '../../ports/memory-store.js';
import type { SqliteHandle } from './database.js';
import { toSession, type SessionRow } from './memory-rows.js';

export class SqliteMemorySessions {
  constructor(private readonly db: SqliteHandle) {}

  create(session: NewSession): Session {
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

  get(tenantId: string, sessionId: string): Session | undefined {
    const row = this.db
      .prepare('SELECT * FROM memory_sessions WHERE tenant_id = ? AND id = ?')
      .get(tenantId, sessionId) as SessionRow | undefined;
    return row === undefined ? undefined : toSession(row);
  }

  list(tenantId: string, userId: string | null, limit = 100, after?: SessionPosition): Session[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM memory_sessions WHERE tenant_id = ? AND user_id IS ?
           AND (? IS NULL OR last_active_at < ? OR (last_active_at = ? AND id < ?))
         ORDER BY last_active_at DESC, id DESC LIMIT ?`,
      )
      .all(
        tenantId,
        userId,
        after?.lastActiveAt ?? null,
        after?.lastActiveAt ?? null,
        after?.lastActiveAt ?? null,
        after?.id ?? null,
        limit,
      ) as SessionRow[];
    return rows.map(toSession);
  }

  dueForDistillation(input: { wmMaxTurns: number; minTurns: number; limit: number }): Session[] {
    const rows = this.db
      .prepare(
        // The expression of the index memory_sessions_due (migration 206), as it is written there.
        `SELECT * FROM memory_sessions WHERE turn_count - distilled_through >= ? ORDER BY last_active_at LIMIT ?`,
      )
      .all(input.wmMaxTurns + input.minTurns, input.limit) as SessionRow[];
    return rows.map(toSession);
  }

  expired(now: number, limit: number): Session[] {
    const rows = this.db
      .prepare('SELECT * FROM memory_sessions WHERE expires_at <= ? ORDER BY expires_at LIMIT ?')
      .all(now, limit) as SessionRow[];
    return rows.map(toSession);
  }

  countActive(tenantId: string, now: number): number {
    const row = this.db
      .prepare(`SELECT count(*) AS n FROM memory_sessions WHERE tenant_id = ? AND expires_at > ?`)
      .get(tenantId, now) as { n: number };
    return row.n;
  }
}
