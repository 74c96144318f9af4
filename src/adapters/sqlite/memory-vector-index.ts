// An in-process binary index over the SQLite store's memory vectors, so kNN over 100k memories
// does not scan 100k float blobs in SQL: one sign bit per dimension of (vector − mean), compared
// by Hamming distance in JS, filtered by the scope fields that never change (user, session, kind,
// time). The best candidates are then scored exactly (cosine in SQL) with the full scope filter,
// so results are always scoped strictly; the index only decides which rows are looked at.
//
// Freshness: vectors written through this process are added at once; vectors written by another
// process are picked up by the next search (rows with a higher pk than any seen). A deleted row
// only costs a wasted candidate slot.

export interface IndexedVector {
  pk: number;
  userId: string | null;
  sessionId: string | null;
  kind: string;
  occurredAt: number;
  vector: Float32Array;
}

export interface IndexFilter {
  userId?: string | null;
  sessionId?: string;
  kinds?: string[];
  from?: number;
  to?: number;
}

const NO_KEY = -1;
const MISSING = -2;
/** Below this many vectors the mean is a poor centre: rebuild once the index has grown 4×. */
const STABLE_MEAN_SIZE = 10_000;

/** Bits set in each 16-bit value: two lookups per word beat the bit-twiddling popcount in V8. */
const POPCOUNT_16 = (() => {
  const table = new Uint8Array(65_536);
  for (let i = 1; i < 65_536; i += 1) table[i] = (i & 1) + table[i >>> 1]!;
  return table;
})();

export class BinaryVectorIndex {
  readonly words: number;
  size = 0;
  maxPk = 0;
  private capacity = 1024;
  private pks = new Int32Array(this.capacity);
  private users = new Int32Array(this.capacity);
  private sessions = new Int32Array(this.capacity);
  private kinds = new Uint8Array(this.capacity);
  private times = new Float64Array(this.capacity);
  private bits: Uint32Array;
  private readonly keys = new Map<string, number>();
  private readonly kindCodes = new Map<string, number>();
  private readonly mean: Float32Array;
  readonly sizeAtMean: number;

  constructor(
    readonly dimension: number,
    sample: Float32Array[],
  ) {
    this.words = Math.ceil(dimension / 32);
    this.bits = new Uint32Array(this.capacity * this.words);
    this.mean = new Float32Array(dimension);
    for (const vector of sample)
      for (let d = 0; d < dimension; d += 1) this.mean[d]! += vector[d]! / sample.length;
    this.sizeAtMean = sample.length;
  }

  /** True when the index has outgrown the sample its centre came from. */
  get wantsRebuild(): boolean {
    return this.sizeAtMean < STABLE_MEAN_SIZE && this.size >= Math.max(64, this.sizeAtMean * 4);
  }

  private key(value: string | null): number {
    if (value === null) return NO_KEY;
    let key = this.keys.get(value);
    if (key === undefined) {
      key = this.keys.size;
      this.keys.set(value, key);
    }
    return key;
  }

  private lookup(value: string | null): number {
    if (value === null) return NO_KEY;
    return this.keys.get(value) ?? MISSING;
  }

  private grow(): void {
    this.capacity *= 2;
    const grow = <T extends Int32Array | Uint8Array | Float64Array | Uint32Array>(
      old: T,
      make: (n: number) => T,
      per = 1,
    ): T => {
      const next = make(this.capacity * per);
      next.set(old);
      return next;
    };
    this.pks = grow(this.pks, (n) => new Int32Array(n));
    this.users = grow(this.users, (n) => new Int32Array(n));
    this.sessions = grow(this.sessions, (n) => new Int32Array(n));
    this.kinds = grow(this.kinds, (n) => new Uint8Array(n));
    this.times = grow(this.times, (n) => new Float64Array(n));
    this.bits = grow(this.bits, (n) => new Uint32Array(n), this.words);
  }

  add(item: IndexedVector): void {
    if (item.vector.length !== this.dimension) return;
    if (this.size === this.capacity) this.grow();
    const at = this.size;
    this.pks[at] = item.pk;
    this.users[at] = this.key(item.userId);
    this.sessions[at] = this.key(item.sessionId);
    let kind = this.kindCodes.get(item.kind);
    if (kind === undefined) {
      kind = this.kindCodes.size;
      this.kindCodes.set(item.kind, kind);
    }
    this.kinds[at] = kind;
    this.times[at] = item.occurredAt;
    this.bits.set(this.signBits(item.vector), at * this.words);
    this.size += 1;
    if (item.pk > this.maxPk) this.maxPk = item.pk;
  }

  private signBits(vector: Float32Array): Uint32Array {
    const out = new Uint32Array(this.words);
    for (let d = 0; d < this.dimension; d += 1) {
      if (vector[d]! > this.mean[d]!) out[d >>> 5]! |= 1 << (d & 31);
    }
    return out;
  }

  /**
   * The pks of the (up to) `limit` entries in the filter nearest by Hamming distance, in no
   * particular order, and how many entries matched the filter (when that is ≤ limit, every match
   * is returned and the search is exact).
   */
  candidates(
    query: Float32Array,
    filter: IndexFilter,
    limit: number,
  ): { pks: number[]; matched: number } {
    const q = this.signBits(query);
    const user = filter.userId === undefined ? undefined : this.lookup(filter.userId);
    const session = filter.sessionId === undefined ? undefined : this.lookup(filter.sessionId);
    if (user === MISSING || session === MISSING) return { pks: [], matched: 0 };
    let kindMask = -1;
    if (filter.kinds !== undefined) {
      kindMask = 0;
      for (const kind of filter.kinds) {
        const code = this.kindCodes.get(kind);
        if (code !== undefined) kindMask |= 1 << code;
      }
    }
    const from = filter.from ?? -Infinity;
    const to = filter.to ?? Infinity;
    const words = this.words;
    const distances = new Uint16Array(this.size);
    const matchedAt = new Int32Array(this.size);
    const histogram = new Uint32Array(this.dimension + 1);
    let matched = 0;
    // Locals, not fields, in the hot loop.
    const { bits, users, sessions, kinds, times, size } = this;
    const anyUser = user === undefined;
    const anySession = session === undefined;
    const table = POPCOUNT_16;
    for (let i = 0; i < size; i += 1) {
      if (!anyUser && users[i] !== user) continue;
      if (!anySession && sessions[i] !== session) continue;
      if (((1 << kinds[i]!) & kindMask) === 0) continue;
      const time = times[i]!;
      if (time < from || time >= to) continue;
      let distance = 0;
      const base = i * words;
      for (let w = 0; w < words; w += 1) {
        const x = bits[base + w]! ^ q[w]!;
        distance += table[x & 0xffff]! + table[x >>> 16]!;
      }
      distances[matched] = distance;
      matchedAt[matched] = i;
      histogram[distance]! += 1;
      matched += 1;
    }
    if (matched <= limit) {
      return { pks: Array.from(matchedAt.subarray(0, matched), (i) => this.pks[i]!), matched };
    }
    // Counting selection: the distance below which `limit` entries fall.
    let cutoff = 0;
    let below = 0;
    while (cutoff <= this.dimension && below + histogram[cutoff]! <= limit) {
      below += histogram[cutoff]!;
      cutoff += 1;
    }
    const pks: number[] = [];
    let atCutoff = limit - below;
    for (let j = 0; j < matched; j += 1) {
      const distance = distances[j]!;
      if (distance < cutoff) pks.push(this.pks[matchedAt[j]!]!);
      else if (distance === cutoff && atCutoff > 0) {
        pks.push(this.pks[matchedAt[j]!]!);
        atCutoff -= 1;
      }
    }
    return { pks, matched };
  }
}
