// Sign-bit indexes over a SQLite vector table, kept in step with it. Each row carries its sign
// bits (`signs`), taken around a centre stored per scope in `vector_centres`, and its int8 copy
// (`quantised`, int8-rows.ts), both written with the vector or filled in on first load, so a
// restart reads those (in a covering index) instead of the vector.
// The centre is the mean of up to 10,000 recent vectors; while a scope is small its centre is
// taken again each time the scope has grown fourfold, and every row of the scope re-signed (by
// the write that finds it outgrown, so the work stays proportional to what is written).
//
// Freshness: rows inserted by any process are picked up by the next search (ids above the
// highest the index has seen); a row rewritten in place or deleted through this process is read
// again by the next search (changed). One deleted by another process only costs a wasted
// candidate slot until the next restart; one rewritten in place by another process keeps its old
// bits until then (its exact score is always current).
import type { SqliteHandle } from './database.js';
import { statement } from './statement-cache.js';
import { quantise } from './int8-rows.js';
import { SignBitIndex } from './sign-bit-index.js';
import { signBits } from './sign-bits.js';
import { blobVector, vectorBlob } from './vector-blob.js';

/** Where a kind of vector lives, and the fields its index filters on. */
export interface SignedVectorTable {
  /** Prefix of the scope's name in vector_centres. */
  kind: string;
  table: string;
  /** The vector table's id column (increasing on insert). */
  id: string;
  /** Conditions on the vector table `v` naming one scope, with `?` for each scope parameter. */
  scope: string;
  /** Joins from `v` to where the key and time columns live. */
  join: string;
  /** Key columns, in the order of SignBitFilter.keys. */
  keys: string[];
  /** Time column, or a constant. */
  time: string;
}

/** A centre taken from fewer vectors than this is taken again as the scope grows. */
const STABLE_SAMPLE = 10_000;
const MIN_RECENTRE_SIZE = 64;
/** Rows read at a time when an index loads or catches up. */
const LOAD_PAGE = 20_000;

function signsBlob(signs: Uint8Array): Buffer {
  return Buffer.from(signs.buffer, signs.byteOffset, signs.byteLength);
}

function meanOf(vectors: Float32Array[], dimension: number): Float32Array {
  const mean = new Float32Array(dimension);
  for (const vector of vectors)
    for (let d = 0; d < dimension; d += 1) mean[d]! += vector[d]! / vectors.length;
  return mean;
}

interface Centre {
  centre: Float32Array;
  sampleSize: number;
  version: number;
}

/** A vector row as the index reads it (keys as key0, key1, …). */
type StoredRow = {
  id: number;
  signs: Buffer | null;
  quantised: Buffer | null;
  time: number;
} & Record<string, string | null>;

export class SignedVectors {
  private readonly indexes = new Map<string, { index: SignBitIndex; version: number }>();
  private readonly pendingChanges = new Map<string, Set<number>>();
  /** Each scope's rows as last counted, with those signed here since (wantsRecentre). */
  private readonly scopeRows = new Map<string, number>();

  constructor(
    private readonly db: SqliteHandle,
    private readonly spec: SignedVectorTable,
  ) {}

  private name(scope: readonly unknown[]): string {
    return [this.spec.kind, ...scope].join('\u0000');
  }

  private readCentre(scope: readonly unknown[]): Centre | undefined {
    const row = statement(
      this.db,
      'SELECT centre, sample_size, version FROM vector_centres WHERE name = ?',
    ).get(this.name(scope)) as { centre: Buffer; sample_size: number; version: number } | undefined;
    // A spent centre (reset) counts as none; its version lives on in the row.
    return row === undefined || row.sample_size < 0
      ? undefined
      : { centre: blobVector(row.centre), sampleSize: row.sample_size, version: row.version };
  }

  private writeCentre(scope: readonly unknown[], centre: Float32Array, sampleSize: number): Centre {
    const row = this.db
      .prepare(
        `INSERT INTO vector_centres (name, centre, sample_size, version) VALUES (?, ?, ?, 1)
         ON CONFLICT (name) DO UPDATE SET centre = excluded.centre, sample_size = excluded.sample_size,
           version = vector_centres.version + 1
         RETURNING version`,
      )
      .get(this.name(scope), vectorBlob(centre), sampleSize) as { version: number };
    return { centre, sampleSize, version: row.version };
  }

  /**
   * The sign bits and int8 copy of vectors about to be written to a scope, as stored blobs;
   * inside the caller's transaction. The first batch of a scope gives it its centre; a scope that
   * has outgrown its centre's sample takes it again here, while it is small, so a search never
   * has to.
   */
  signer(
    scope: readonly unknown[],
    batch: Float32Array[],
  ): (vector: Float32Array) => { signs: Buffer; quantised: Buffer } {
    const dimension = batch[0]?.length ?? 0;
    let centre = this.readCentre(scope);
    if (centre === undefined || centre.centre.length !== dimension)
      centre = this.writeCentre(scope, meanOf(batch, dimension), batch.length);
    else if (this.wantsRecentre(scope, centre, batch.length))
      centre = this.recentre(scope, dimension);
    const { centre: around } = centre;
    return (vector) => ({
      signs: signsBlob(signBits(vector, around)),
      quantised: quantise(vector),
    });
  }

  /**
   * Forgets every index and centre of this kind (the vector space changed). The centres are
   * marked spent rather than deleted, so their versions keep growing and every connection's
   * index built on one of them is rebuilt.
   */
  reset(): void {
    this.indexes.clear();
    this.pendingChanges.clear();
    this.scopeRows.clear();
    this.db
      .prepare(
        `UPDATE vector_centres SET sample_size = -1, version = version + 1 WHERE name >= ? AND name < ?`,
      )
      .run(`${this.spec.kind}\u0000`, `${this.spec.kind}\u0001`);
  }

  /**
   * Rows rewritten in place or deleted through this process (ids the scope's index may hold
   * already) are read again on the scope's next search: a committed change reaches the index, a
   * rolled-back one leaves it as it was.
   */
  changed(scope: readonly unknown[], ids: Iterable<number>): void {
    const name = this.name(scope);
    if (!this.indexes.has(name)) return;
    let pending = this.pendingChanges.get(name);
    if (pending === undefined) this.pendingChanges.set(name, (pending = new Set()));
    for (const id of ids) pending.add(id);
  }

  /**
   * The scope's first LOAD_PAGE rows with ids above `after`, or those among `ids`: what the
   * index holds of each.
   */
  private readRows(
    scope: readonly unknown[],
    rows: { after: number } | { ids: number[] },
  ): StoredRow[] {
    const { spec } = this;
    const keys = spec.keys.map((column, k) => `, ${column} AS key${k}`).join('');
    const which =
      'after' in rows ? `v.${spec.id} > ?` : `v.${spec.id} IN (SELECT value FROM json_each(?))`;
    return statement(
      this.db,
      `SELECT v.${spec.id} AS id, v.signs, v.quantised, ${spec.time} AS time${keys}
       FROM ${spec.table} v ${spec.join}
       WHERE ${which} AND ${spec.scope} ORDER BY v.${spec.id}
       ${'after' in rows ? `LIMIT ${LOAD_PAGE}` : ''}`,
    ).all('after' in rows ? rows.after : JSON.stringify(rows.ids), ...scope) as StoredRow[];
  }

  /**
   * The scope's index of `dimension`-long vectors, caught up with the table. Inside an open
   * transaction the index is used as it stands: what it would read there may yet roll back.
   */
  index(scope: readonly unknown[], dimension: number): SignBitIndex {
    const { spec } = this;
    const name = this.name(scope);
    const standing = this.indexes.get(name);
    if (this.db.inTransaction && standing !== undefined) return standing.index;
    let centre = this.readCentre(scope);
    // A query of another length than the scope's vectors matches none of them; the scope is
    // left as it is (taking a new centre would re-sign every row for a mistaken query).
    if (centre !== undefined && centre.centre.length !== dimension)
      return new SignBitIndex(new Float32Array(dimension), spec.keys.length);
    if (centre === undefined || this.wantsRecentre(scope, centre))
      centre = this.recentre(scope, dimension);
    let held = standing;
    if (held === undefined || held.version !== centre.version) {
      held = { index: new SignBitIndex(centre.centre, spec.keys.length), version: centre.version };
      this.indexes.set(name, held);
      this.pendingChanges.delete(name);
      // Loaded whole below: its room made once for the rows there are (as just counted, or
      // counted now; an eighth more for those written next), not by doubling.
      const rows = this.scopeRows.get(name) ?? this.countRows(scope);
      held.index.reserve(rows + Math.floor(rows / 8));
    }
    const { index } = held;
    const pending = this.pendingChanges.get(name);
    this.pendingChanges.delete(name);
    // Rows new to the index start past the highest id it held before the changed rows are read
    // again: a changed row still there (its change rolled back) may lie above that.
    const newAfter = index.maxId;
    const changed = pending === undefined ? [] : this.readRows(scope, { ids: [...pending] });
    for (const id of pending ?? []) index.remove(id);
    this.addRows(index, changed, centre.centre);
    // In pages: a million rows read at once would hold a million objects and their blobs.
    for (let after = newAfter; ;) {
      const page = this.readRows(scope, { after });
      this.addRows(index, page, centre.centre);
      if (page.length < LOAD_PAGE) break;
      after = page[page.length - 1]!.id;
    }
    return index;
  }

  private addRows(index: SignBitIndex, rows: StoredRow[], centre: Float32Array): void {
    const filled = this.fillMissing(
      rows.filter((row) => row.signs === null || row.quantised === null).map((row) => row.id),
      centre,
    );
    for (const row of rows) {
      const { signs, quantised } = filled.get(row.id) ?? row;
      if (signs === null) continue;
      const keyValues = this.spec.keys.map((_, k) => row[`key${k}`] ?? null);
      index.add({ id: row.id, signs, quantised, keys: keyValues, time: row.time });
    }
  }

  /**
   * Signs and quantises rows written before signs or int8 copies existed, once, so the next start
   * reads those only; the vectors are read only here, so loading the index never touches them
   * otherwise.
   */
  private fillMissing(
    ids: number[],
    centre: Float32Array,
  ): Map<number, { signs: Uint8Array | null; quantised: Uint8Array | null }> {
    const filled = new Map<number, { signs: Uint8Array | null; quantised: Uint8Array | null }>();
    if (ids.length === 0) return filled;
    const { db, spec } = this;
    const read = db.prepare(
      `SELECT ${spec.id} AS id, vector FROM ${spec.table} WHERE ${spec.id} IN (SELECT value FROM json_each(?))`,
    );
    const update = db.prepare(
      `UPDATE ${spec.table} SET signs = ?, quantised = ? WHERE ${spec.id} = ?`,
    );
    db.transaction(() => {
      for (let from = 0; from < ids.length; from += 1000) {
        const page = read.all(JSON.stringify(ids.slice(from, from + 1000))) as Array<{
          id: number;
          vector: Buffer;
        }>;
        for (const row of page) {
          const vector = blobVector(row.vector);
          if (vector.length !== centre.length) {
            filled.set(row.id, { signs: null, quantised: null });
            continue;
          }
          const signs = signsBlob(signBits(vector, centre));
          const quantised = quantise(vector);
          update.run(signs, quantised, row.id);
          filled.set(row.id, { signs, quantised });
        }
      }
    })();
    return filled;
  }

  /**
   * Whether a scope has outgrown its centre's sample, `adding` rows about to be written. A scope
   * is counted again only once the rows it held at its last count, and those signed here since,
   * reach the size that asks for a new centre: counting it at every batch and every search read
   * every row of a scope of up to 40,000, each time. Rows deleted since make the estimate high,
   * which brings the count early; rows another process wrote are seen at the next count.
   */
  private wantsRecentre(scope: readonly unknown[], centre: Centre, adding = 0): boolean {
    if (centre.sampleSize >= STABLE_SAMPLE) return false;
    const size = Math.max(MIN_RECENTRE_SIZE, centre.sampleSize * 4);
    const name = this.name(scope);
    const estimate = this.scopeRows.get(name);
    if (estimate !== undefined && estimate + adding < size) {
      this.scopeRows.set(name, estimate + adding);
      return false;
    }
    const n = this.countRows(scope);
    this.scopeRows.set(name, n + adding);
    return n >= size;
  }

  /** The scope's rows, counted (a pass over its entries in the covering index). */
  private countRows(scope: readonly unknown[]): number {
    return (
      statement(
        this.db,
        `SELECT count(*) AS n FROM ${this.spec.table} v WHERE ${this.spec.scope}`,
      ).get(...scope) as { n: number }
    ).n;
  }

  /** A centre from the scope's recent vectors; every row of the scope signed around it. */
  private recentre(scope: readonly unknown[], dimension: number): Centre {
    const { db, spec } = this;
    return db
      .transaction(() => {
        const sample = (
          db
            .prepare(
              `SELECT v.vector FROM ${spec.table} v WHERE ${spec.scope} ORDER BY v.${spec.id} DESC LIMIT ${STABLE_SAMPLE}`,
            )
            .all(...scope) as Array<{ vector: Buffer }>
        )
          .map((row) => blobVector(row.vector))
          .filter((vector) => vector.length === dimension);
        const centre = this.writeCentre(scope, meanOf(sample, dimension), sample.length);
        const update = db.prepare(`UPDATE ${spec.table} SET signs = ? WHERE ${spec.id} = ?`);
        const page = db.prepare(
          `SELECT v.${spec.id} AS id, v.vector FROM ${spec.table} v
         WHERE v.${spec.id} > ? AND ${spec.scope} ORDER BY v.${spec.id} LIMIT 1000`,
        );
        // Pages, not one iterator: the connection cannot write while a statement iterates.
        for (let after = 0; ;) {
          const rows = page.all(after, ...scope) as Array<{ id: number; vector: Buffer }>;
          if (rows.length === 0) break;
          for (const row of rows) {
            const vector = blobVector(row.vector);
            const signs = vector.length === dimension ? signBits(vector, centre.centre) : undefined;
            update.run(signs === undefined ? null : signsBlob(signs), row.id);
          }
          after = rows[rows.length - 1]!.id;
        }
        return centre;
      })
      .immediate();
  }
}
