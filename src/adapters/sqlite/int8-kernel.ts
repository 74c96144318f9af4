// Dot products of a query with chosen int8 rows, in WebAssembly SIMD: each 16 bytes of a row are
// widened to two vectors of 16-bit lanes and multiplied-and-added with the query's 16-bit codes
// (i32x4.dot_i16x8_s), four 32-bit sums a row. Rows are padded to a multiple of 16 bytes with
// zeros. The text form (WAT) it encodes:
//
//   (func (export "dots") (param $values i32) (param $rowBytes i32) (param $query i32)
//                         (param $positions i32) (param $count i32) (param $out i32)
//     (local $j i32) (local $row i32) (local $k i32) (local $sum v128) (local $v v128)
//     (block $done (loop $rows
//       (br_if $done (i32.ge_u (local.get $j) (local.get $count)))
//       (local.set $row (i32.add (local.get $values) (i32.mul (local.get $rowBytes)
//         (i32.load (i32.add (local.get $positions) (i32.shl (local.get $j) (i32.const 2)))))))
//       (local.set $sum (i32x4.splat (i32.const 0)))
//       (local.set $k (i32.const 0))
//       (block $row-done (loop $bytes
//         (br_if $row-done (i32.ge_u (local.get $k) (local.get $rowBytes)))
//         (local.set $v (v128.load (i32.add (local.get $row) (local.get $k))))
//         (local.set $sum (i32x4.add (local.get $sum) (i32x4.dot_i16x8_s
//           (i16x8.extend_low_i8x16_s (local.get $v))
//           (v128.load offset=0
//             (i32.add (local.get $query) (i32.shl (local.get $k) (i32.const 1))))))
//         (local.set $sum (i32x4.add (local.get $sum) (i32x4.dot_i16x8_s
//           (i16x8.extend_high_i8x16_s (local.get $v))
//           (v128.load offset=16
//             (i32.add (local.get $query) (i32.shl (local.get $k) (i32.const 1))))))
//         (local.set $k (i32.add (local.get $k) (i32.const 16)))
//         (br $bytes)))
//       (i32.store (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2)))
//         (i32.add
//           (i32.add (i32x4.extract_lane 0 (local.get $sum)) (i32x4.extract_lane 1 (local.get $sum)))
//           (i32.add (i32x4.extract_lane 2 (local.get $sum)) (i32x4.extract_lane 3 (local.get $sum)))))
//       (local.set $j (i32.add (local.get $j) (i32.const 1)))
//       (br $rows))))
//
// The sums are exact: the caller keeps each query code within (2³¹ − 1) / (128 × row bytes).
import { KernelMemory } from './kernel-memory.js';
import { assemble, funcType, I32, leb, op, wasm } from './wasm-assembly.js';

const V128 = 0x7b;
const simd = (opcode: number, ...immediates: number[]) => [0xfd, ...leb(opcode), ...immediates];
/** The SIMD instructions of the kernel (the scalar ones are wasm-assembly.ts's `op`). */
const vec = {
  /** v128.load with byte alignment and an offset. */
  load: (offset: number) => simd(0x00, 0, ...leb(offset)),
  i32x4Splat: simd(0x11),
  lane: (lane: number) => simd(0x1b, lane),
  extendLow: simd(0x87),
  extendHigh: simd(0x88),
  i32x4Add: simd(0xae),
  dot: simd(0xba),
} as const;
const [VALUES, ROW_BYTES, QUERY, POSITIONS, COUNT, OUT, J, ROW, K, SUM, V] = [
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
];

const queryHalf = (offset: number) => [
  op.get, QUERY, op.get, K, op.i32Const, 1, op.i32Shl, op.i32Add, ...vec.load(offset),
]; // prettier-ignore

const dotsBody = [
  2, 3, I32, 2, V128, // locals: $j $row $k (i32), $sum $v (v128)
  op.block, op.void, op.loop, op.void,
  op.get, J, op.get, COUNT, op.i32GeU, op.brIf, 1,
  op.get, VALUES, op.get, ROW_BYTES,
  op.get, POSITIONS, op.get, J, op.i32Const, 2, op.i32Shl, op.i32Add, op.i32Load, 2, 0,
  op.i32Mul, op.i32Add, op.set, ROW,
  op.i32Const, 0, ...vec.i32x4Splat, op.set, SUM,
  op.i32Const, 0, op.set, K,
  op.block, op.void, op.loop, op.void,
  op.get, K, op.get, ROW_BYTES, op.i32GeU, op.brIf, 1,
  op.get, ROW, op.get, K, op.i32Add, ...vec.load(0), op.set, V,
  op.get, SUM, op.get, V, ...vec.extendLow, ...queryHalf(0), ...vec.dot, ...vec.i32x4Add, op.set, SUM,
  op.get, SUM, op.get, V, ...vec.extendHigh, ...queryHalf(16), ...vec.dot, ...vec.i32x4Add, op.set, SUM,
  op.get, K, op.i32Const, 16, op.i32Add, op.set, K,
  op.br, 0, op.end, op.end,
  op.get, OUT, op.get, J, op.i32Const, 2, op.i32Shl, op.i32Add,
  op.get, SUM, ...vec.lane(0), op.get, SUM, ...vec.lane(1), op.i32Add,
  op.get, SUM, ...vec.lane(2), op.get, SUM, ...vec.lane(3), op.i32Add, op.i32Add,
  op.i32Store, 2, 0,
  op.get, J, op.i32Const, 1, op.i32Add, op.set, J,
  op.br, 0, op.end, op.end,
  op.end,
]; // prettier-ignore

let compiled: object | undefined;

/** The longest row (8,192 dimensions, as the sign bits allow). */
const MAX_ROW_BYTES = 8192;

/**
 * Int8 rows in WebAssembly memory and the kernel over them. Memory (kernel-memory.ts, shared
 * with the index's other kernel): the query, then the rows (`rowBytes` each) and a call's
 * scratch (positions, sums), a table each.
 */
export class Int8Kernel {
  private readonly runDots: (
    values: number,
    rowBytes: number,
    query: number,
    positions: number,
    count: number,
    out: number,
  ) => void;
  private capacity = 0;
  /** The largest query code for which every sum is exact in 32 bits. */
  readonly largestCode: number;
  private readonly query: number;
  private readonly values: number;
  private readonly positions: number;
  private readonly sums: number;
  private view: Int8Array | undefined;

  /** `rowBytes`: a multiple of 16. */
  constructor(
    readonly rowBytes: number,
    private readonly space = new KernelMemory(),
  ) {
    if (rowBytes % 16 !== 0 || rowBytes <= 0 || rowBytes > MAX_ROW_BYTES)
      throw new Error(`int8 rows of ${rowBytes} bytes are not supported`);
    compiled ??= assemble(['dots'], [funcType(6, [])], [dotsBody]);
    const instance = new wasm.Instance(compiled, { env: { memory: space.memory } });
    this.runDots = instance.exports.dots as Int8Kernel['runDots'];
    // A stored code is at most 128 in size (quantise writes ±127; the bound allows −128).
    this.largestCode = Math.min(32_767, Math.floor((2 ** 31 - 1) / (128 * rowBytes)));
    this.query = space.block(2 * rowBytes);
    this.values = space.table(rowBytes);
    this.positions = space.table(4);
    this.sums = space.table(4);
  }

  /** Room for `capacity` rows; kept rows stay as they are. */
  grow(capacity: number): void {
    this.space.grow(capacity);
    this.capacity = Math.max(this.capacity, capacity);
  }

  /** The rows, as a view kept until memory grows or the table moves. */
  get rows(): Int8Array {
    const { buffer } = this.space;
    const at = this.space.offset(this.values);
    const length = this.capacity * this.rowBytes;
    let view = this.view;
    if (view?.buffer !== buffer || view.byteOffset !== at || view.length !== length)
      this.view = view = new Int8Array(buffer, at, length);
    return view;
  }

  /**
   * The dot product of `query` (rowBytes codes, each within ±largestCode) with each row at
   * `positions` (each below the capacity), in their order.
   */
  dots(query: Int16Array, positions: ArrayLike<number>): Int32Array {
    const sums = new Int32Array(positions.length);
    if (positions.length === 0) return sums;
    for (let j = 0; j < positions.length; j += 1) {
      const at = positions[j]!;
      if (!(at >= 0 && at < this.capacity)) throw new RangeError(`no int8 row at ${at}`);
    }
    const { buffer } = this.space;
    new Int16Array(buffer, this.query, this.rowBytes).set(query);
    const batch = new Int32Array(buffer, this.space.offset(this.positions), this.capacity);
    const out = new Int32Array(buffer, this.space.offset(this.sums), this.capacity);
    for (let from = 0; from < positions.length; from += this.capacity) {
      const count = Math.min(this.capacity, positions.length - from);
      for (let j = 0; j < count; j += 1) batch[j] = positions[from + j]!;
      this.runDots(
        this.space.offset(this.values),
        this.rowBytes,
        this.query,
        batch.byteOffset,
        count,
        out.byteOffset,
      );
      sums.set(out.subarray(0, count), from);
    }
    return sums;
  }
}
