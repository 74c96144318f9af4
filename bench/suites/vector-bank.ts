// Every vector the scale bench writes, kept in a temporary file for the exact top k of its
// queries. Not in this process's memory: at 1M chunks and 1M memories that was 4 GB a server
// never holds, counted in the bench's resident memory and taken from the page cache the store
// reads through. The file's pages are written once during the fill and read back once, after the
// timed queries. Its name is removed as soon as it is open, so a run that fails leaves nothing
// behind (the space goes with the last descriptor; Linux and macOS).
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Vectors buffered before a write to the file (4 MB at 512-d). */
const BUFFERED = 2048;
/** Vectors read at once when scanning the file. */
const SCANNED = 8192;

export class VectorBank {
  readonly ids: string[] = [];
  private readonly fd: number;
  private readonly buffer: Float32Array;
  private buffered = 0;
  private written = 0;

  constructor(private readonly dimension: number) {
    const dir = mkdtempSync(join(tmpdir(), 'engram-bench-vectors-'));
    this.fd = openSync(join(dir, 'vectors.f32'), 'w+');
    rmSync(dir, { recursive: true, force: true });
    this.buffer = new Float32Array(BUFFERED * dimension);
  }

  add(id: string, vector: Float32Array): void {
    if (vector.length !== this.dimension) throw new Error(`vector of length ${vector.length}`);
    this.buffer.set(vector, this.buffered * this.dimension);
    this.buffered += 1;
    this.ids.push(id);
    if (this.buffered === BUFFERED) this.flush();
  }

  /** The vector added `index`-th. */
  vector(index: number): Float32Array {
    this.flush();
    const out = new Float32Array(this.dimension);
    readSync(this.fd, out, 0, out.byteLength, index * out.byteLength);
    return out;
  }

  /**
   * For each query, the ids of the k vectors of highest dot product with it (unit vectors:
   * cosine), in one pass over the file.
   */
  exactTop(queries: Float32Array[], k: number): Array<Set<string>> {
    this.flush();
    const d = this.dimension;
    const best = queries.map(() => [] as Array<{ score: number; index: number }>);
    const block = new Float32Array(SCANNED * d);
    for (let from = 0; from < this.written; from += SCANNED) {
      const count = Math.min(SCANNED, this.written - from);
      readSync(this.fd, block, 0, count * d * 4, from * d * 4);
      queries.forEach((query, q) => {
        const top = best[q]!;
        for (let row = 0; row < count; row++) {
          let dot = 0;
          const base = row * d;
          for (let i = 0; i < d; i++) dot += query[i]! * block[base + i]!;
          if (top.length < k || dot > top[top.length - 1]!.score) {
            top.push({ score: dot, index: from + row });
            top.sort((a, b) => b.score - a.score);
            if (top.length > k) top.pop();
          }
        }
      });
    }
    return best.map((top) => new Set(top.map((b) => this.ids[b.index]!)));
  }

  close(): void {
    closeSync(this.fd);
  }

  private flush(): void {
    if (this.buffered === 0) return;
    const bytes = this.buffered * this.dimension * 4;
    writeSync(this.fd, this.buffer, 0, bytes, this.written * this.dimension * 4);
    this.written += this.buffered;
    this.buffered = 0;
  }
}
