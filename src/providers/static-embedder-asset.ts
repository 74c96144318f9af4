// The static embedder's asset: one vector per vocabulary piece, and the vocabulary that cuts text
// into those pieces, in one file so the two never drift apart. Written once by
// scripts/distil-static-embedder.ts, read by static-embedder.ts. Layout (little-endian):
//   "EGSE" · uint32 header length · header JSON (UTF-8) · zero padding to 4 bytes ·
//   float32 scale per row · int8 row × dimension
// Row i is piece i's vector quantised symmetrically: value = int8 × scale[i].
import { AppError } from '../domain/errors.js';

const MAGIC = 'EGSE';

export interface StaticEmbedderHeader {
  format: 1;
  /** Embedder id stored with every vector; changes whenever the vectors do. */
  id: string;
  dimension: number;
  /** SentencePiece unigram vocabulary, [piece, log probability], in row order. */
  vocabulary: Array<[string, number]>;
  /** Rows below this index (unknown, <s>, …) never count in a text's vector. */
  reservedRows: number;
  /** How the rows were made, for whoever reads the file later. */
  provenance: string;
}

export interface StaticEmbedderAsset {
  header: StaticEmbedderHeader;
  /** rows × dimension, dequantised. */
  vectors: Float32Array;
}

export function encodeStaticEmbedderAsset(
  header: StaticEmbedderHeader,
  vectors: Float32Array,
): Buffer {
  const rows = header.vocabulary.length;
  if (vectors.length !== rows * header.dimension)
    throw new Error(`expected ${rows} × ${header.dimension} values, got ${vectors.length}`);
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const headerEnd = align4(8 + json.length);
  const out = Buffer.alloc(headerEnd + rows * 4 + rows * header.dimension);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(json.length, 4);
  json.copy(out, 8);
  for (let row = 0; row < rows; row++) {
    let max = 0;
    for (let j = 0; j < header.dimension; j++)
      max = Math.max(max, Math.abs(vectors[row * header.dimension + j]!));
    const scale = max / 127;
    out.writeFloatLE(scale, headerEnd + row * 4);
    const base = headerEnd + rows * 4 + row * header.dimension;
    for (let j = 0; j < header.dimension; j++) {
      const value = scale === 0 ? 0 : Math.round(vectors[row * header.dimension + j]! / scale);
      out.writeInt8(value, base + j);
    }
  }
  return out;
}

export function decodeStaticEmbedderAsset(bytes: Buffer, source: string): StaticEmbedderAsset {
  const broken = (why: string): AppError =>
    new AppError('CONFIG_INVALID', `The static embedder's asset ${source} is unreadable: ${why}.`);
  if (bytes.length < 8 || bytes.toString('latin1', 0, 4) !== MAGIC) throw broken('not an asset');
  const jsonLength = bytes.readUInt32LE(4);
  if (8 + jsonLength > bytes.length) throw broken('header past the end');
  let header: StaticEmbedderHeader;
  try {
    header = JSON.parse(bytes.toString('utf8', 8, 8 + jsonLength)) as StaticEmbedderHeader;
  } catch {
    throw broken('its header is not JSON');
  }
  if (!isHeader(header)) throw broken('its header lacks the id, dimension or vocabulary');
  if (header.format !== 1) throw broken(`format ${String(header.format)} is not 1`);
  const rows = header.vocabulary.length;
  const headerEnd = align4(8 + jsonLength);
  const expected = headerEnd + rows * 4 + rows * header.dimension;
  if (bytes.length !== expected) throw broken(`${bytes.length} bytes, expected ${expected}`);
  const values = new Int8Array(
    bytes.buffer,
    bytes.byteOffset + headerEnd + rows * 4,
    rows * header.dimension,
  );
  const vectors = new Float32Array(rows * header.dimension);
  for (let row = 0; row < rows; row++) {
    const scale = bytes.readFloatLE(headerEnd + row * 4);
    const base = row * header.dimension;
    for (let j = 0; j < header.dimension; j++) vectors[base + j] = values[base + j]! * scale;
  }
  return { header, vectors };
}

function isHeader(value: unknown): value is StaticEmbedderHeader {
  if (typeof value !== 'object' || value === null) return false;
  const header = value as Partial<StaticEmbedderHeader>;
  return (
    typeof header.id === 'string' &&
    Number.isInteger(header.dimension) &&
    header.dimension! > 0 &&
    Number.isInteger(header.reservedRows) &&
    Array.isArray(header.vocabulary) &&
    header.vocabulary.every(
      // USE lite's own vocabulary has no score (null) for seven pieces with ':'; its tokenizer
      // reads them as 0, and so does the one here.
      (entry) =>
        Array.isArray(entry) &&
        typeof entry[0] === 'string' &&
        (typeof entry[1] === 'number' || entry[1] === null),
    )
  );
}

function align4(offset: number): number {
  return (offset + 3) & ~3;
}
