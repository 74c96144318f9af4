// pgvector's text form of a vector ('[0.1,0.2,…]'), passed as a parameter and cast with ::vector.
export function vectorLiteral(vector: Float32Array): string {
  return `[${Array.from(vector).join(',')}]`;
}

/**
 * The HNSW search breadth (`hnsw.ef_search`) for a query that wants `rows` neighbours from the
 * index: twice that, at least 200, at most pgvector's 1000. Measured by the scale bench at 100k
 * (docs/performance.md): memory search found 0.79 of the exact top 10 at 40, 0.90 at 100 and
 * 0.997 at 200, at the same latency (≈100 ms; the breadth is not where that time goes).
 */
export function hnswSearchBreadth(rows: number): number {
  return Math.min(1000, Math.max(200, rows * 2));
}
