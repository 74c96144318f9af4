// Vectors as the float32 BLOBs that sqlite-vec's functions read, and back.

/** A vector as a BLOB, sharing the array's memory. */
export function vectorBlob(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

/** A BLOB as a vector (a copy: a Buffer's offset need not be 4-byte aligned). */
export function blobVector(blob: Buffer): Float32Array {
  return new Float32Array(new Uint8Array(blob).buffer);
}
