// pgvector's text form of a vector ('[0.1,0.2,…]'), passed as a parameter and cast with ::vector.
export function vectorLiteral(vector: Float32Array): string {
  return `[${Array.from(vector).join(',')}]`;
}
