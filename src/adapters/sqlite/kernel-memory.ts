// One WebAssembly memory for the kernels of one sign-bit index (hamming-kernel.ts,
// int8-kernel.ts). A process holds at most about 13,000 WebAssembly memories (each reserves its
// own address space; Node 20 here), so an index holds one, not one per kernel. Fixed blocks come
// first, then tables: one per kind of row (bits, int8 copies, a pass's distances …), each as long
// as the index's capacity, moved up in memory as it grows. Growing memory detaches every view of
// it: kernels take fresh views after `grow`, and memory grows nowhere else.
import { PAGE, wasm } from './wasm-assembly.js';

export class KernelMemory {
  /** The memory itself, for a kernel's instance to import. */
  readonly memory = new wasm.Memory({ initial: 1 });
  private fixed = 0;
  private readonly widths: number[] = [];
  private capacity = 0;

  get buffer(): ArrayBuffer {
    return this.memory.buffer;
  }

  private laidOut(): void {
    if (this.capacity > 0) throw new Error('kernel memory: laid out before it first grows');
  }

  /** `bytes` at a fixed offset (returned), at a 16-byte boundary. */
  block(bytes: number): number {
    this.laidOut();
    const at = this.fixed;
    this.fixed += Math.ceil(bytes / 16) * 16;
    this.reserve(this.fixed);
    return at;
  }

  /** A table of `width` bytes a row; returns its handle for `offset`. */
  table(width: number): number {
    this.laidOut();
    this.widths.push(width);
    return this.widths.length - 1;
  }

  /** Where table `table`'s first row is (until the next `grow`). */
  offset(table: number): number {
    let at = this.fixed;
    for (let t = 0; t < table; t += 1) at += this.capacity * this.widths[t]!;
    return at;
  }

  /** Room for `capacity` rows in every table: kept rows keep their order, new ones are zeros. */
  grow(capacity: number): void {
    if (capacity <= this.capacity) return;
    const before = this.capacity;
    const from = this.widths.map((_, t) => this.offset(t));
    this.capacity = capacity;
    this.reserve(this.offset(this.widths.length));
    const bytes = new Uint8Array(this.memory.buffer);
    // The last table first: each moves up past where the next one was.
    for (let t = this.widths.length - 1; t >= 0; t -= 1) {
      const width = this.widths[t]!;
      const to = this.offset(t);
      bytes.copyWithin(to, from[t]!, from[t]! + before * width);
      bytes.fill(0, to + before * width, to + capacity * width);
    }
  }

  private reserve(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes > have) this.memory.grow(Math.ceil((bytes - have) / PAGE));
  }
}
