// A vector as the float32 BLOB that sqlite-vec's functions read, sharing the array's memory.
export function vectorBlob(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}
