import type { Queryable } from './transaction.js';

// pgvector's text form of a vector ('[0.1,0.2,…]'), passed as a parameter and cast with ::vector.
export function vectorLiteral(vector: Float32Array): string {
  return `[${Array.from(vector).join(',')}]`;
}

/** How an HNSW index holds its vectors: in full precision or in half (`halfvec`). */
export type HnswType = 'vector' | 'halfvec';

/**
 * How this version builds an HNSW index over vectors of `dimension`: in half precision
 * (`halfvec`, 2 bytes a value), to pgvector's limit of 4,000 dimensions; past it there is no
 * index and searches score every vector of the scope exactly. Over 250k clustered vectors of 512
 * dimensions (no filters) the half-precision graph took 390 MB against 651 MB, found the same
 * share of the exact top 10 within noise (0.946 / 0.997 at a breadth of 200 / 1,000, against
 * 0.947 / 0.995), and answered in 0.67–0.75 of the time, in one run on a busy machine
 * (`FORM=halfvec tsx bench/lab/pg-hnsw-graph.ts`, docs/performance.md, session 32). The index
 * chooses candidates by half-precision distance, and so does the planner when it sorts a scope
 * by the index's expression instead of walking the index (a filter exactFirst cannot weigh: a
 * session, a tier, a time range): there the k nearest are chosen in half precision (rows whose
 * distances differ by less than its rounding may trade places at the k-th: a review found
 * near-duplicates 3e-6 apart reordered, 4e-4 apart not) and each row is cast as it is sorted,
 * which a review measured at two to three times the full-precision sort of 5,000 rows. Scores,
 * and the order of what is returned, are in full precision. An index an earlier version built
 * over full-precision vectors serves its searches in that form
 * (beginHnswSearch reads it from the catalog) until `engram rebuild-vector-indexes` rebuilds it
 * (hnsw-rebuild.ts), which is for once every process runs this version: an earlier version's
 * searches order by the full-precision form, which a half-precision index does not serve.
 */
export function hnswForm(dimension: number): { type: HnswType; opclass: string } | undefined {
  if (dimension <= 4000) return { type: 'halfvec', opclass: 'halfvec_cosine_ops' };
  return undefined;
}

/**
 * The cosine distance from `column` to the query vector `param` in the form (`type`) the HNSW
 * index of `dimension` holds: an ORDER BY that the index serves.
 */
export function indexedDistance(
  column: string,
  param: string,
  dimension: number,
  type: HnswType,
): string {
  return `${column}::${type}(${dimension}) <=> ${param}::${type}(${dimension})`;
}

/**
 * The exact cosine distance from `column` to the query vector `param`, in full precision, as a
 * function call: no index serves it, so an ORDER BY on it scores every row that passes the
 * query's filters. For the searches that must not come back short (hnswSearchBreadth).
 */
export function exactDistance(column: string, param: string, dimension: number): string {
  return `cosine_distance(${column}::vector(${dimension}), ${param}::vector(${dimension}))`;
}

/**
 * How HNSW indexes are built: each node linked to 32 others (64 on the bottom layer; pgvector's
 * default is 16), its links chosen from the 128 nearest nodes a search for it finds (default 64).
 * Over 250k clustered 512-dimension vectors of about 3,900 to a cluster (the size of the scale
 * suite's clusters at 1M), pgvector's defaults found 0.750 of the exact top 10 at a breadth of
 * 200 (0.952 at 1,000), as they found 0.707 at 1M; these settings 0.979 at 200 (0.998 at 400),
 * 13.9 against 12.1 ms a query at 200, for 2.5 times the build time (235 against 92 s) and 3.2
 * times the cost of a row inserted (19.5 against 6.0 ms). Measured in psql on vectors made as
 * the suite makes them; `tsx bench/lab/pg-hnsw-graph.ts` repeats it (docs/performance.md,
 * session 28). An index built with other settings keeps its graph until `engram
 * rebuild-vector-indexes` rebuilds it (hnsw-rebuild.ts).
 */
export const HNSW_BUILD_OPTIONS = { m: 32, ef_construction: 128 } as const;

/** HNSW_BUILD_OPTIONS as an index's WITH clause lists them. */
export const HNSW_BUILD_SQL = Object.entries(HNSW_BUILD_OPTIONS)
  .map(([name, value]) => `${name} = ${value}`)
  .join(', ');

/**
 * The index over `column` holding vectors of `dimension`, or undefined (see hnswForm): made if
 * missing, or (`concurrently`, for a rebuild: hnsw-rebuild.ts) built beside the table's writes.
 */
export function hnswIndexSql(
  name: string,
  table: string,
  column: string,
  dimension: number,
  where = '',
  how: 'if-missing' | 'concurrently' = 'if-missing',
): string | undefined {
  const form = hnswForm(dimension);
  if (form === undefined) return undefined;
  const create = how === 'if-missing' ? 'CREATE INDEX IF NOT EXISTS' : 'CREATE INDEX CONCURRENTLY';
  return `${create} ${name} ON ${table}
    USING hnsw ((${column}::${form.type}(${dimension})) ${form.opclass}) WITH (${HNSW_BUILD_SQL})${where === '' ? '' : ` ${where}`}`;
}

/** The name of Engram's HNSW index over the chunk vectors. */
export const CHUNK_VECTOR_INDEX = 'chunk_vectors_hnsw';

/** The name of Engram's HNSW index over the memory vectors of `dimension` (one per dimension). */
export function memoryVectorIndex(dimension: number): string {
  return `memories_embedding_hnsw_${dimension}`;
}

/** memoryVectorIndex's names, their dimension captured. */
export const MEMORY_VECTOR_INDEX = /^memories_embedding_hnsw_(\d+)$/;

/** Whether `name` is one of the HNSW indexes Engram makes. */
export function isEngramIndex(name: string): boolean {
  return name === CHUNK_VECTOR_INDEX || MEMORY_VECTOR_INDEX.test(name);
}

/**
 * The FROM and WHERE of a catalog query over this schema's HNSW indexes (hnsw-rebuild.ts,
 * hnsw-sizes.ts): `c` is each index's pg_class row, `i` its pg_index row.
 */
export const HNSW_INDEX_CATALOG = `FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_am am ON am.oid = c.relam
    JOIN pg_index i ON i.indexrelid = c.oid
  WHERE n.nspname = current_schema() AND am.amname = 'hnsw'`;

/**
 * Engram's HNSW index over the chunk vectors or the memory vectors of `dimension`, as the stores
 * make it (if missing) or a rebuild builds it beside the old (`concurrently`, under the name `as`,
 * on the schema-qualified `table`); undefined past hnswForm's dimensions.
 */
export function vectorIndexSql(
  kind: 'chunks' | 'memories',
  dimension: number,
  rebuild?: { as: string; table: (name: string) => string },
): string | undefined {
  const table = kind === 'chunks' ? 'chunk_vectors' : 'memories';
  return hnswIndexSql(
    rebuild?.as ?? (kind === 'chunks' ? CHUNK_VECTOR_INDEX : memoryVectorIndex(dimension)),
    rebuild?.table(table) ?? table,
    'embedding',
    dimension,
    kind === 'chunks' ? '' : `WHERE embedding_dim = ${dimension}`,
    rebuild === undefined ? 'if-missing' : 'concurrently',
  );
}

/**
 * The HNSW search breadth (`hnsw.ef_search`) for a query that wants `rows` neighbours from an
 * index over about `tableRows` vectors: that many, at least 200, and one for each 1,000 vectors
 * indexed, at most pgvector's 1,000. A graph finds less of the exact top 10 at the same breadth
 * as it grows: with 32 links a node, 0.969–0.979 at a breadth of 200 over 250k vectors, 0.858–0.885
 * over 1M, where 1,000 finds 0.970–0.993 (docs/performance.md, sessions 28–30). Iterative scans go on
 * past it when filters drop rows, but give up after `hnsw.max_scan_tuples` index tuples (20,000
 * by default): a scope whose rows are few and far from the query comes back short, so a search
 * that does searches again by exactDistance. Over 100k memories (k = 200, tenant-wide) a breadth
 * of 200 found 0.995 of the exact top 200 and 0.998 of the top 10, as 400 did, in two thirds of
 * the time.
 */
export function hnswSearchBreadth(rows: number, tableRows = 0): number {
  return Math.min(1000, Math.max(200, rows, Math.ceil(tableRows / 1000)));
}

/**
 * What visiting one tuple of an HNSW index costs, in rows scored exactly. An iterative scan
 * visits about k / (the scope's share of the table) tuples before k pass the scope's filters:
 * 15–34 µs each with their rows, against 1.3–2.1 µs a row for the exact search through the
 * scope's index (memories at 100k and 1M, chunks at 100k; docs/performance.md), a ratio of
 * 11–21. Measured at 512 dimensions with the vectors in their rows, on pgvector's default graph
 * (16 links a node; with 32 a visit weighs up to twice the neighbours); wider vectors kept out of
 * line (past about 2,040 dimensions) make exact rows dearer, which this does not weigh. And a
 * scan whose query lies among other scopes' rows visits more than that: one
 * tenant of ten's 10 nearest chunks took 22 ms p50 and 370 ms p95 through the index.
 */
export const HNSW_VISIT_COST = 20;

/**
 * Whether scoring a scope of `scopeRows` of the table's `tableRows` exactly costs less than an
 * HNSW scan to its `k` nearest: for one user of ten over 100k memories, 13 ms exact against 31 ms
 * through the index. A caller that knows its scope's rows (value-shares.ts) asks before the scan.
 */
export function exactFirst(scopeRows: number, tableRows: number, k: number): boolean {
  const visits = Math.max(
    hnswSearchBreadth(k, tableRows),
    (k * tableRows) / Math.max(1, scopeRows),
  );
  return scopeRows < HNSW_VISIT_COST * visits;
}

/** An index name as Engram makes them, safe to write into SQL as a literal. */
const INDEX_NAME = /^[a-z0-9_]+$/;

/**
 * Sets up an HNSW search for `rows` neighbours of the index `index` over about `tableRows` vectors
 * (0 when not known) in the caller's transaction, in one round trip: its breadth, an iterative
 * scan (pgvector 0.8) that goes on until the query's filters have passed enough rows (relaxed
 * order: callers sort what it returns), and the form the index holds its vectors in, read from
 * the catalog just before the search, so the search orders by the expression the index serves
 * (a graph of an earlier version's form keeps serving until it is rebuilt). A search that reads
 * the old form as a rebuild swaps the new graph in and drops the old may plan its one query
 * after the old graph is gone: that query sorts the scope (the same rows, slower). Undefined when
 * the schema holds no valid index of that name (past 4,000 dimensions, or before the first
 * vector): the caller scores exactly.
 */
export async function beginHnswSearch(
  client: Queryable,
  rows: number,
  tableRows: number,
  index: string,
): Promise<HnswType | undefined> {
  if (!INDEX_NAME.test(index)) throw new Error(`not an index name of Engram's: ${index}`);
  const results = (await client.query(
    `SET LOCAL hnsw.ef_search = ${hnswSearchBreadth(rows, tableRows)}; SET LOCAL hnsw.iterative_scan = relaxed_order;
     SELECT t.typname AS type FROM pg_index i
       JOIN pg_opclass o ON o.oid = i.indclass[0] JOIN pg_type t ON t.oid = o.opcintype
     WHERE i.indexrelid = to_regclass(format('%I.%I', current_schema(), '${index}')) AND i.indisvalid`,
  )) as unknown as Array<{ rows: Array<{ type: string }> }>;
  const type = results[2]?.rows[0]?.type;
  return type === 'vector' || type === 'halfvec' ? type : undefined;
}

/**
 * Storage for tables whose rows hold a vector or a chunk's tsvector: rows up to a page stay whole
 * in the table instead of moving their largest values out of line to TOAST. A 512-dimension
 * vector is 2 kB, just past PostgreSQL's default 2 kB target, so each one read for scoring cost a
 * TOAST index look-up and two more pages: one user's exact search over 1,000 memories took 7–9 ms
 * that way and 2–2.6 ms inline; ranking a chunk's tsvector, about a third less inline
 * (docs/performance.md, 2026-12-06). Values too long for a page still go out of line.
 */
export const ROWS_INLINE = 'toast_tuple_target=8160';
