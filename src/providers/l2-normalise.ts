// L2 normalisation: every Engram vector has norm 1, so cosine similarity is a plain dot product.

/** A new Float32Array of norm 1 (a zero vector stays zero: it has no direction to keep). */
export function l2Normalise(values: ArrayLike<number>): Float32Array {
  const out = new Float32Array(values.length);
  let sumSquares = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    sumSquares += v * v;
  }
  const scale = sumSquares > 0 ? 1 / Math.sqrt(sumSquares) : 0;
  for (let i = 0; i < values.length; i++) out[i] = values[i]! * scale;
  return out;
}

export function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}
