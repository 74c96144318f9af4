// For one key field of the sign-bit index (user, session, kind; namespace), a chain per value
// through the index positions holding it, and how many of them are live: so a filter on a value
// held by few entries visits those entries alone instead of every row (sign-bit-index.ts).
// Positions of removed entries stay in their chain until the index compacts and rebuilds it;
// callers skip them by the index's own live flags.

export class ValueChains {
  /** Per position, the previous position with the same value (−1 at the first). */
  private previous: Int32Array;
  /** Per value code, its last position (−1: none yet). */
  private readonly heads: number[] = [];
  private readonly liveCounts: number[] = [];

  constructor(capacity: number) {
    this.previous = new Int32Array(capacity);
  }

  grow(capacity: number): void {
    const next = new Int32Array(capacity);
    next.set(this.previous);
    this.previous = next;
  }

  /** An entry of value `code` now lives at position `at` (codes are dense, from 0). */
  add(at: number, code: number): void {
    while (this.heads.length <= code) {
      this.heads.push(-1);
      this.liveCounts.push(0);
    }
    this.previous[at] = this.heads[code]!;
    this.heads[code] = at;
    this.liveCounts[code]! += 1;
  }

  /** An entry of value `code` was removed (its position stays in the chain until rebuild). */
  removed(code: number): void {
    this.liveCounts[code]! -= 1;
  }

  /** After compaction: positions 0…length−1 hold the live entries, of these codes. */
  rebuild(codes: Int32Array, length: number): void {
    this.heads.fill(-1);
    for (let at = 0; at < length; at += 1) {
      this.previous[at] = this.heads[codes[at]!]!;
      this.heads[codes[at]!] = at;
    }
  }

  /** Live entries whose code the mask allows (mask[code] === 1). */
  count(mask: Uint8Array): number {
    let count = 0;
    for (let code = 0; code < mask.length; code += 1)
      if (mask[code] === 1) count += this.liveCounts[code] ?? 0;
    return count;
  }

  /** The live positions (by `live`) of the values the mask allows, in ascending order. */
  positions(mask: Uint8Array, live: Uint8Array): Int32Array {
    const found: number[] = [];
    for (let code = 0; code < mask.length; code += 1) {
      if (mask[code] !== 1) continue;
      for (let at = this.heads[code] ?? -1; at !== -1; at = this.previous[at]!)
        if (live[at] === 1) found.push(at);
    }
    return Int32Array.from(found).sort();
  }
}
