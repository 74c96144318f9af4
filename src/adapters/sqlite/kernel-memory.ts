// One WebAssembly memory for the kernels of one sign-bit index (hamming-kernel.ts,
// int8-kernel.ts). A process holds at most about 13,000 WebAssembly memories (each reserves its
// own address space; Node 20 here), so an index holds one, not one per kernel. Fixed blocks come
// first, then tables: one per kind of row (bits, int8 copies, a pass's distances …), each as long
// as the index's capacity, each starting at a 16-byte boundary, moved up in memory as it grows.
// Growing memory detaches every view of it: kernels take fresh views after `grow`, and memory
// grows nowhere else. A memory holds at most 4 GiB (WebAssembly's 32-bit addresses).
import { AppError } from '../../domain/errors.js';
import { PAGE, wasm } from './wasm-assembly.js';

const aligned = (bytes: number) => Math.ceil(bytes / 16) * 16;

export class KernelMemory {
  /** The memory itself, for a kernel's instance to import. */
  readonly memory = new wasm.Memory({ initial: 1 });
  private fixedBytes = 0;
  private readonly rowBytes: number[] = [];
  private capacity = 0;

  get buffer(): ArrayBuffer {
    return this.memory.buffer;
  }

  private assertNotGrown(): void {
    if (this.capacity > 0)
      throw new Error('kernel memory: declare blocks and tables before the first grow');
  }

  /** `bytes` at a fixed offset (returned). */
  block(bytes: number): number {
    this.assertNotGrown();
    const at = this.fixedBytes;
    this.fixedBytes += aligned(bytes);
    this.reserve(this.fixedBytes);
    return at;
  }

  /** A table of `rowBytes` a row; returns its handle for `offset`. */
  table(rowBytes: number): number {
    this.assertNotGrown();
    this.rowBytes.push(rowBytes);
    return this.rowBytes.length - 1;
  }

  /** Where table `table`'s first row is at `capacity` (by default the present one). */
  offset(table: number, capacity = this.capacity): number {
    let at = this.fixedBytes;
    for (let t = 0; t < table; t += 1) at += aligned(capacity * this.rowBytes[t]!);
    return at;
  }

  /**
   * Room for `capacity` rows in every table: kept rows keep their order, new ones are zeros.
   * When memory cannot grow that far, nothing changes and a clear error is thrown.
   */
  grow(capacity: number): void {
    if (capacity <= this.capacity) return;
    this.reserve(this.offset(this.rowBytes.length, capacity), capacity);
    const before = this.capacity;
    const bytes = new Uint8Array(this.memory.buffer);
    // The last table first: each moves up past where the next one was.
    for (let t = this.rowBytes.length - 1; t >= 0; t -= 1) {
      const width = this.rowBytes[t]!;
      const from = this.offset(t, before);
      const to = this.offset(t, capacity);
      bytes.copyWithin(to, from, from + before * width);
      bytes.fill(0, to + before * width, to + capacity * width);
    }
    this.capacity = capacity;
  }

  private reserve(bytes: number, capacity = this.capacity): void {
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return;
    try {
      this.memory.grow(Math.ceil((bytes - have) / PAGE));
    } catch (error) {
      throw new AppError(
        'INTERNAL',
        `A tenant's vector index of ${capacity} rows needs ${bytes} bytes of WebAssembly memory, ` +
          `past the 4 GiB one memory holds (${String(error)}).`,
      );
    }
  }
}
