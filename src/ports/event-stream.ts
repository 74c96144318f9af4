// Event stream port: a durable, at-least-once log of telemetry events read by a consumer group.
// Every delivery counts; an entry a consumer does not acknowledge comes back (to it on restart,
// or to another consumer once idle past the lease), and after N deliveries the consumer moves it
// to the dead-letter list with its error. Adapters: Redis Streams (distributed), a table in the
// SQL store with consumer leases (embedded SQLite, PostgreSQL without Redis).

export interface NewStreamEntry {
  tenantId: string;
  /** The event as JSON text; the stream does not look inside. */
  payload: string;
}

export interface StreamEntry extends NewStreamEntry {
  /** Stream position: a Redis entry id or a SQL row id. */
  id: string;
  /** Deliveries so far, this one included (1 on first delivery). */
  deliveries: number;
}

export interface DeadLetter {
  /** Id in the dead-letter list (use it to replay). */
  id: string;
  tenantId: string;
  originalId: string;
  payload: string;
  error: string;
  deliveries: number;
  /** When it was dead-lettered, ms since epoch. */
  failedAt: number;
}

export interface StreamStats {
  /** Entries in the stream not yet acknowledged (SQL) or held in the stream (Redis, trimmed ~maxLen). */
  length: number;
  /** Delivered and not yet acknowledged. */
  pending: number;
  deadLetters: number;
}

export interface ReadOptions {
  count: number;
  /** Wait up to this long for new entries when none are ready. */
  blockMs: number;
}

export interface EventStream {
  /** Appends durably (resolved = stored) and returns the new entries' ids, in order. */
  append(entries: NewStreamEntry[]): Promise<string[]>;
  /**
   * Entries for `consumer`: on its first read, its own unacknowledged entries from an earlier
   * run (id 0 in Redis terms), then new entries.
   */
  read(consumer: string, options: ReadOptions): Promise<StreamEntry[]>;
  /** Takes over entries delivered to any consumer and idle for at least `idleMs` (crashed or stuck consumers). */
  claimIdle(consumer: string, options: { idleMs: number; count: number }): Promise<StreamEntry[]>;
  /** Acknowledges processed entries: they are never delivered again. */
  ack(consumer: string, ids: string[]): Promise<void>;
  /** A failed delivery: the entry stays unacknowledged and is delivered again once idle past the lease. */
  release(consumer: string, entry: StreamEntry, error: string): Promise<void>;
  /** Copies the entry to the dead-letter list with its error, then acknowledges it. */
  deadLetter(consumer: string, entry: StreamEntry, error: string): Promise<DeadLetter>;
  listDeadLetters(tenantId: string, limit: number): Promise<DeadLetter[]>;
  /** Appends the tenant's dead letters (all, or those with the given ids) to the stream again and removes them from the list. */
  replayDeadLetters(tenantId: string, ids?: string[]): Promise<number>;
  stats(): Promise<StreamStats>;
  close(): Promise<void>;
}
