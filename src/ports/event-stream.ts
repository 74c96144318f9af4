// Event stream port: a durable, at-least-once log of telemetry events read by a consumer group.
// Every delivery counts; an entry a consumer does not acknowledge comes back (to it on restart,
// or to another consumer once idle past the lease), and after N deliveries the consumer moves it
// to the dead-letter list with its error. Nothing is ever dropped to make room: append refuses a
// whole batch (AppError UNAVAILABLE, details.retryAfterSeconds) once the backlog of
// unacknowledged entries has reached the adapter's bound, and a full dead-letter list refuses
// new dead letters (the entry stays in the stream). Adapters: Redis Streams (distributed), a
// table in the SQL store with consumer leases (embedded SQLite, PostgreSQL without Redis).

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

/** One page of a tenant's dead letters, oldest first. */
export interface DeadLetterPage {
  deadLetters: DeadLetter[];
  /** Pass as `after` for the next page; absent on the last page. */
  next?: string;
}

export interface StreamStats {
  /** The backlog: entries appended and not yet acknowledged (pending + undelivered). */
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
  /**
   * Appends durably (resolved = stored) and returns the new entries' ids, in order. All or
   * nothing: refused whole (UNAVAILABLE) while the backlog is at its bound.
   */
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
  /** Copies the entry to the dead-letter list with its error, then acknowledges it; throws (and changes nothing) when the list is full. */
  deadLetter(consumer: string, entry: StreamEntry, error: string): Promise<DeadLetter>;
  /** The tenant's dead letters after the one with id `after` (VALIDATION_FAILED if malformed). */
  listDeadLetters(
    tenantId: string,
    page: { limit: number; after?: string },
  ): Promise<DeadLetterPage>;
  /** Appends the tenant's dead letters (all, or those with the given ids) to the stream again and removes them from the list. */
  replayDeadLetters(tenantId: string, ids?: string[]): Promise<number>;
  stats(): Promise<StreamStats>;
  close(): Promise<void>;
}
