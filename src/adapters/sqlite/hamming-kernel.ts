// Hamming distances of a query to every row of a bit matrix, in WebAssembly: one 64-bit popcnt
// per 8 bytes where JavaScript needs two table lookups per 4 bytes. The module is a few dozen
// instructions, so it is assembled here from its opcodes instead of shipping a binary, once per
// row length: the query's words are held in locals and each row is read in straight-line code
// (a loop over a row's words cost twice as much at 512 bits). The text form (WAT) it encodes,
// for rows of `stride` 64-bit words:
//
//   (func (export "distances") (param $bits i32) (param $query i32) (param $rows i32)
//                               (param $out i32) (param $histogram i32) (param $ceiling i32)
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
//       (if (i32.le_s (local.get $d) (local.get $ceiling)) (then
//         (local.set $d (i32.add (local.get $histogram) (i32.shl (local.get $d) (i32.const 2))))
//         (i32.store (local.get $d) (i32.add (i32.load (local.get $d)) (i32.const 1)))))
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
// Distances are written as unsigned 16-bit integers; those at most $ceiling are counted per
// distance in 32-bit integers. Counting every row made each row wait for the last one's count
// whenever both lay at the same distance, as clustered rows often do; a ceiling in the near tail
// (sign-bit-index.ts picks it from a sample) leaves the count to the few rows that need it.
import { KernelMemory } from './kernel-memory.js';
import { assemble, funcType, I32, leb, op, sleb, wasm } from './wasm-assembly.js';

const I64 = 0x7e;
const [BITS, QUERY, ROWS, OUT, HISTOGRAM, CEILING, ROW, AT, D, Q0] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];

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
    op.get, D, op.get, CEILING, op.i32LeS, op.if, op.void,
    op.get, HISTOGRAM, op.get, D, op.i32Const, 2, op.i32Shl, op.i32Add, op.set, D,
    op.get, D, op.get, D, op.i32Load, 2, 0, op.i32Const, 1, op.i32Add, op.i32Store, 2, 0,
    op.end,
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
    // Types: (i32 × 6) → () for distances, (i32 × 4) → (i32) for atMost.
    module = assemble(
      ['distances', 'atMost'],
      [funcType(6, []), funcType(4, [I32])],
      [distancesBody(stride), atMostBody],
    );
    modules.set(stride, module);
  }
  return module;
}

/** Bytes kept for the query (8,192 dimensions). */
const QUERY_BYTES = 1024;

/**
 * A bit matrix in WebAssembly memory and the kernel over it. `rows(capacity)` makes room and
 * returns a view of the rows; views are invalidated when memory grows, so take a fresh one after.
 * Memory (kernel-memory.ts, shared with the index's other kernel): the query and a count per
 * distance, then the rows and a pass's scratch (its distances, the positions at most a cutoff
 * away), a table each.
 */
export class HammingKernel {
  private readonly runDistances: (
    bits: number,
    query: number,
    rows: number,
    out: number,
    histogram: number,
    ceiling: number,
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
  private readonly query: number;
  private readonly histogram: number;
  private readonly bits: number;
  private readonly out: number;
  private readonly positions: number;

  /** `stride`: the 64-bit words of one row. */
  constructor(
    readonly stride: number,
    private readonly space = new KernelMemory(),
  ) {
    if (stride * 8 > QUERY_BYTES) throw new Error(`rows of ${stride * 64} bits are too long`);
    const instance = new wasm.Instance(moduleFor(stride), { env: { memory: space.memory } });
    this.runDistances = instance.exports.distances as HammingKernel['runDistances'];
    this.runAtMost = instance.exports.atMost as HammingKernel['runAtMost'];
    this.distanceCount = stride * 64 + 1;
    this.query = space.block(QUERY_BYTES);
    this.histogram = space.block(this.distanceCount * 4);
    this.bits = space.table(stride * 8);
    this.out = space.table(2);
    this.positions = space.table(4);
  }

  /** Room for `capacity` rows (kept rows stay where they are); a view of all of them. */
  rows(capacity: number): Uint32Array {
    this.space.grow(capacity);
    this.capacity = Math.max(this.capacity, capacity);
    return new Uint32Array(
      this.space.buffer,
      this.space.offset(this.bits),
      this.capacity * this.stride * 2,
    );
  }

  /**
   * The distance of `query` (stride × 2 words) to each of the first `count` rows, and how many
   * of those at most `ceiling` away are at each distance (none above it; all by default); both
   * views are good until the next pass.
   */
  distances(
    query: Uint32Array,
    count: number,
    ceiling = this.distanceCount - 1,
  ): { distances: Uint16Array; histogram: Uint32Array } {
    const histogram = this.pass(query, 0, count, ceiling);
    return {
      distances: new Uint16Array(this.space.buffer, this.space.offset(this.out), count),
      histogram,
    };
  }

  /** How many of the rows `from` … `from + count − 1` are at each distance from `query`. */
  counts(query: Uint32Array, from: number, count: number): Uint32Array {
    return this.pass(query, from, count, this.distanceCount - 1);
  }

  private pass(query: Uint32Array, from: number, count: number, ceiling: number): Uint32Array {
    const { buffer } = this.space;
    new Uint32Array(buffer, this.query, this.stride * 2).set(query);
    const histogram = new Uint32Array(buffer, this.histogram, this.distanceCount);
    histogram.fill(0);
    this.runDistances(
      this.space.offset(this.bits) + from * this.stride * 8,
      this.query,
      count,
      this.space.offset(this.out) + from * 2,
      this.histogram,
      ceiling,
    );
    return histogram;
  }

  /** The positions, in order, among the first `count` rows of the last pass, at most `cutoff` away. */
  atMost(cutoff: number, count: number): Int32Array {
    const positions = this.space.offset(this.positions);
    const found = this.runAtMost(this.space.offset(this.out), count, cutoff, positions);
    return new Int32Array(this.space.buffer, positions, found);
  }
}
