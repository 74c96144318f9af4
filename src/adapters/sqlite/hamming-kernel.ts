// Hamming distances of a query to every row of a bit matrix, in WebAssembly: one 64-bit popcnt
// per 8 bytes where JavaScript needs two table lookups per 4 bytes. The module is a few dozen
// instructions, so it is assembled here from its opcodes instead of shipping a binary, once per
// row length: the query's words are held in locals and each row is read in straight-line code
// (a loop over a row's words cost twice as much at 512 bits). The text form (WAT) it encodes,
// for rows of `stride` 64-bit words:
//
//   (func (export "distances") (param $bits i32) (param $query i32) (param $rows i32)
//                               (param $out i32) (param $histogram i32)
//     (local $row i32) (local $at i32) (local $d i32) (local $q0 i64) … (local $q<stride-1> i64)
//     (local.set $q0 (i64.load offset=0 (local.get $query)))
//     …                                                    ;; one per word of the query
//     (local.set $at (local.get $bits))
//     (block $done (loop $rows
//       (br_if $done (i32.ge_u (local.get $row) (local.get $rows)))
//       (local.set $d (i32.wrap_i64
//         (i64.add … (i64.add
//           (i64.popcnt (i64.xor (i64.load offset=0 (local.get $at)) (local.get $q0)))
//           (i64.popcnt (i64.xor (i64.load offset=8 (local.get $at)) (local.get $q1))))
//         …)))                                              ;; one popcnt per word of the row
//       (i32.store16 (i32.add (local.get $out) (i32.shl (local.get $row) (i32.const 1)))
//         (local.get $d))
//       (local.set $d (i32.add (local.get $histogram) (i32.shl (local.get $d) (i32.const 2))))
//       (i32.store (local.get $d) (i32.add (i32.load (local.get $d)) (i32.const 1)))
//       (local.set $at (i32.add (local.get $at) (i32.const <stride × 8>)))
//       (local.set $row (i32.add (local.get $row) (i32.const 1)))
//       (br $rows))))
//
//   (func (export "atMost") (param $out i32) (param $rows i32) (param $cutoff i32)
//                           (param $positions i32) (result i32)
//     (local $row i32) (local $count i32)
//     (block $done (loop $rows
//       (br_if $done (i32.ge_u (local.get $row) (local.get $rows)))
//       (if (i32.le_u (i32.load16_u (i32.add (local.get $out) (i32.shl (local.get $row) (i32.const 1))))
//                     (local.get $cutoff))
//         (then
//           (i32.store (i32.add (local.get $positions) (i32.shl (local.get $count) (i32.const 2)))
//                      (local.get $row))
//           (local.set $count (i32.add (local.get $count) (i32.const 1)))))
//       (local.set $row (i32.add (local.get $row) (i32.const 1)))
//       (br $rows)))
//     (local.get $count))
//
// Distances are written as unsigned 16-bit integers, counted per distance in 32-bit integers.

/** The part of the WebAssembly API used here (Node's types for this target do not declare it). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number }) => {
    readonly buffer: ArrayBuffer;
    grow(pages: number): number;
  };
}
const wasm = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

const I32 = 0x7f;
const I64 = 0x7e;
const op = {
  block: 0x02,
  loop: 0x03,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  get: 0x20,
  set: 0x21,
  i64Load: 0x29,
  i32Store16: 0x3b,
  i32Load: 0x28,
  i32Load16U: 0x2f,
  i32Store: 0x36,
  i32LeU: 0x4d,
  if: 0x04,
  i32Const: 0x41,
  i64Const: 0x42,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  i32Shl: 0x74,
  i64Popcnt: 0x7b,
  i64Add: 0x7c,
  i64Xor: 0x85,
  i32WrapI64: 0xa7,
  void: 0x40,
} as const;
const [BITS, QUERY, ROWS, OUT, HISTOGRAM, ROW, AT, D, Q0] = [0, 1, 2, 3, 4, 5, 6, 7, 8];

function name(text: string): number[] {
  return [text.length, ...Buffer.from(text, 'ascii')];
}

/** An unsigned LEB128 integer. */
function leb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

/** A signed LEB128 integer (i32.const), for non-negative values. */
function sleb(value: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>>= 7;
    if (value === 0 && (byte & 0x40) === 0) return [...out, byte];
    out.push(byte | 0x80);
  }
}

/** A function type taking `params` i32s and returning `results`. */
function funcType(params: number, results: number[]): number[] {
  return [0x60, params, ...Array<number>(params).fill(I32), results.length, ...results];
}

/** A section: its id, its contents' length, its contents. */
function section(id: number, contents: number[]): number[] {
  return [id, ...leb(contents.length), ...contents];
}

/** The distances function's body for rows of `stride` 64-bit words (see the text form above). */
function distancesBody(stride: number): number[] {
  const words = Array.from({ length: stride }, (_, w) => w);
  return [
    2, 3, I32, ...leb(stride), I64, // locals: $row $at $d (i32), $q0 … (i64)
    ...words.flatMap((w) => [op.get, QUERY, op.i64Load, 3, ...leb(w * 8), op.set, ...leb(Q0 + w)]),
    op.get, BITS, op.set, AT,
    op.block, op.void, op.loop, op.void,
    op.get, ROW, op.get, ROWS, op.i32GeU, op.brIf, 1,
    ...words.flatMap((w) => [
      op.get, AT, op.i64Load, 3, ...leb(w * 8), op.get, ...leb(Q0 + w), op.i64Xor, op.i64Popcnt,
      ...(w === 0 ? [] : [op.i64Add]),
    ]),
    op.i32WrapI64, op.set, D,
    op.get, OUT, op.get, ROW, op.i32Const, 1, op.i32Shl, op.i32Add, op.get, D, op.i32Store16, 1, 0,
    op.get, HISTOGRAM, op.get, D, op.i32Const, 2, op.i32Shl, op.i32Add, op.set, D,
    op.get, D, op.get, D, op.i32Load, 2, 0, op.i32Const, 1, op.i32Add, op.i32Store, 2, 0,
    op.get, AT, op.i32Const, ...sleb(stride * 8), op.i32Add, op.set, AT,
    op.get, ROW, op.i32Const, 1, op.i32Add, op.set, ROW,
    op.br, 0, op.end, op.end,
    op.end,
  ]; // prettier-ignore
}

/** The atMost function's body (see the text form above). */
const [A_OUT, A_ROWS, A_CUTOFF, A_POSITIONS, A_ROW, A_COUNT] = [0, 1, 2, 3, 4, 5];
const atMostBody = [
  1, 2, I32, // locals: $row $count (i32)
  op.block, op.void, op.loop, op.void,
  op.get, A_ROW, op.get, A_ROWS, op.i32GeU, op.brIf, 1,
  op.get, A_OUT, op.get, A_ROW, op.i32Const, 1, op.i32Shl, op.i32Add, op.i32Load16U, 1, 0,
  op.get, A_CUTOFF, op.i32LeU,
  op.if, op.void,
  op.get, A_POSITIONS, op.get, A_COUNT, op.i32Const, 2, op.i32Shl, op.i32Add,
  op.get, A_ROW, op.i32Store, 2, 0,
  op.get, A_COUNT, op.i32Const, 1, op.i32Add, op.set, A_COUNT,
  op.end,
  op.get, A_ROW, op.i32Const, 1, op.i32Add, op.set, A_ROW,
  op.br, 0, op.end, op.end,
  op.get, A_COUNT,
  op.end,
]; // prettier-ignore

/** The compiled kernel for each row length in use. */
const modules = new Map<number, object>();

function moduleFor(stride: number): object {
  let module = modules.get(stride);
  if (module === undefined) {
    const code = distancesBody(stride);
    module = new wasm.Module(
      Uint8Array.from([
        ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // "\0asm", version 1
        // types: 0 (i32 × 5) → (), 1 (i32 × 4) → (i32)
        ...section(1, [2, ...funcType(5, []), ...funcType(4, [I32])]),
        ...section(2, [1, ...name('env'), ...name('memory'), 0x02, 0x00, 1]), // import memory, min 1 page
        ...section(3, [2, 0, 1]), // function 0 has type 0, function 1 type 1
        ...section(7, [2, ...name('distances'), 0x00, 0, ...name('atMost'), 0x00, 1]), // exports
        ...section(10, [2, ...leb(code.length), ...code, ...leb(atMostBody.length), ...atMostBody]), // code
      ]),
    );
    modules.set(stride, module);
  }
  return module;
}

const PAGE = 65_536;
/** Bytes kept at the start of memory for the query (8,192 dimensions). */
const QUERY_BYTES = 1024;

/**
 * A bit matrix in WebAssembly memory and the kernel over it. `rows(capacity)` makes room and
 * returns a view of the rows; views are invalidated when memory grows, so take a fresh one after.
 * Memory: the query, the rows, then scratch for a pass (distances, a count per distance, the
 * positions at most a cutoff away), laid out again as the rows grow.
 */
export class HammingKernel {
  private readonly memory = new wasm.Memory({ initial: 1 });
  private readonly runDistances: (
    bits: number,
    query: number,
    rows: number,
    out: number,
    histogram: number,
  ) => void;
  private readonly runAtMost: (
    out: number,
    rows: number,
    cutoff: number,
    positions: number,
  ) => number;
  private capacity = 0;
  /** Distances 0 … stride × 64. */
  private readonly distanceCount: number;

  /** `stride`: the 64-bit words of one row. */
  constructor(readonly stride: number) {
    if (stride * 8 > QUERY_BYTES) throw new Error(`rows of ${stride * 64} bits are too long`);
    const instance = new wasm.Instance(moduleFor(stride), { env: { memory: this.memory } });
    this.runDistances = instance.exports.distances as HammingKernel['runDistances'];
    this.runAtMost = instance.exports.atMost as HammingKernel['runAtMost'];
    this.distanceCount = stride * 64 + 1;
  }

  private get outOffset(): number {
    return QUERY_BYTES + this.capacity * this.stride * 8;
  }

  private get histogramOffset(): number {
    // After the 16-bit distances, at a 4-byte boundary.
    return this.outOffset + Math.ceil((this.capacity * 2) / 4) * 4;
  }

  private get positionsOffset(): number {
    return this.histogramOffset + this.distanceCount * 4;
  }

  /** Room for `capacity` rows (kept rows stay where they are); a view of all of them. */
  rows(capacity: number): Uint32Array {
    if (capacity > this.capacity) {
      this.capacity = capacity;
      const needed = this.positionsOffset + capacity * 4;
      const have = this.memory.buffer.byteLength;
      if (needed > have) this.memory.grow(Math.ceil((needed - have) / PAGE));
    }
    return new Uint32Array(this.memory.buffer, QUERY_BYTES, this.capacity * this.stride * 2);
  }

  /**
   * The distance of `query` (stride × 2 words) to each of the first `count` rows, and how many
   * of them are at each distance; both views are good until the next pass.
   */
  distances(query: Uint32Array, count: number): { distances: Uint16Array; histogram: Uint32Array } {
    const { buffer } = this.memory;
    new Uint32Array(buffer, 0, this.stride * 2).set(query);
    const histogram = new Uint32Array(buffer, this.histogramOffset, this.distanceCount);
    histogram.fill(0);
    this.runDistances(QUERY_BYTES, 0, count, this.outOffset, this.histogramOffset);
    return { distances: new Uint16Array(buffer, this.outOffset, count), histogram };
  }

  /** The positions, in order, among the first `count` rows of the last pass, at most `cutoff` away. */
  atMost(cutoff: number, count: number): Int32Array {
    const found = this.runAtMost(this.outOffset, count, cutoff, this.positionsOffset);
    return new Int32Array(this.memory.buffer, this.positionsOffset, found);
  }
}
