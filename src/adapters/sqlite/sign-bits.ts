// Sign bits of a vector around a centre (one bit a dimension: above the centre or not), as the
// sign-bit index compares them by Hamming distance and the vector tables store them.

/** Bits set in a 32-bit word. */
export function popcount(word: number): number {
  word -= (word >>> 1) & 0x55555555;
  word = (word & 0x33333333) + ((word >>> 2) & 0x33333333);
  word = (word + (word >>> 4)) & 0x0f0f0f0f;
  return Math.imul(word, 0x01010101) >>> 24;
}

/** The sign bits of `vector` around `centre`, packed 32 dimensions to a word. */
export function signWords(vector: Float32Array, centre: Float32Array): Uint32Array {
  const out = new Uint32Array(Math.ceil(centre.length / 32));
  for (let d = 0; d < centre.length; d += 1) {
    if (vector[d]! > centre[d]!) out[d >>> 5]! |= 1 << (d & 31);
  }
  return out;
}

/** The sign bits of `vector` around `centre`, as the bytes stored beside it. */
export function signBits(vector: Float32Array, centre: Float32Array): Uint8Array {
  return new Uint8Array(signWords(vector, centre).buffer);
}
