// pgvector's text form of a vector ('[0.1,0.2,…]'), passed as a parameter and cast with ::vector.
export function vectorLiteral(vector: Float32Array): string {
  return `[${Array.from(vector).join(',')}]`;
}

/**
 * The HNSW search breadth (`hnsw.ef_search`) for a query that wants `rows` neighbours from the
 * index: twice that, at least 100, at most pgvector's 1000. Measured by the scale bench at 100k
 * (docs/performance.md): 40 and 64 found 0.79–0.96 of the exact top 10.
 */
export function hnswSearchBreadth(rows: number): number {
  return Math.min(1000, Math.max(100, rows * 2));
}
