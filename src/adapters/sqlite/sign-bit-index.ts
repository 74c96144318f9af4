// An in-process index of sign bits over the SQLite store's vectors (chunks, memories), so a kNN
// query over 100k vectors does not read 100k float blobs: one bit per dimension of
// (vector − centre), compared by Hamming distance, filtered by a few fields that never change
// for a row (namespace; user, session, kind, time). The distances are computed in WebAssembly
// (hamming-kernel.ts), over bits kept in its memory. The nearest by bits are then ranked by
// each row's int8 copy (int8-rows.ts), and only those that can reach the top k are left for the
// caller to score exactly in SQL with every filter, so results are always exact among the
// candidates and strictly filtered; the index only decides which rows are looked at. Bits and
// int8 copies are persisted beside each vector (signed-vectors.ts), so a restart reads them,
// not the vector.

import { HammingKernel } from './hamming-kernel.js';
import { popcount, signWords } from './sign-bits.js';
import { KernelMemory } from './kernel-memory.js';
import { Int8Rows, reachable } from './int8-rows.js';
import { ValueChains } from './value-chains.js';

/**
 * A row of the index: its id in the vector table, its sign bits (signBits' words as bytes, as
 * stored; sign-bits.ts), its int8 copy (quantise's bytes, as stored; null: none, always scored
 * exactly), its key fields, its time.
 */
export interface SignBitEntry {
  id: number;
  signs: Uint8Array;
  quantised: Uint8Array | null;
  keys: ReadonlyArray<string | null>;
  time: number;
}

/** Per key, the values allowed (undefined: any); a time range [from, to). */
export interface SignBitFilter {
  keys?: ReadonlyArray<ReadonlyArray<string | null> | undefined>;
  from?: number;
  to?: number;
}

/**
 * How many candidates the sign bits pick for k results: at least 800 and 8 per result
 * (candidateLimit), and at least this share of the entries passing the filter (candidates), since
 * the sign bits rank a fixed share of a large scope well and a fixed count less so. Recall@10
 * after exact scoring at 1M clustered 512-d vectors: 800 candidates 0.875, 1,600 0.975, 3,200
 * 1.000 (a throwaway lab run of this index); at 100k, 800 gave 1.000 (npm run bench -- scale).
 * A candidate costs about a microsecond of its int8 copy; only those that can reach the top k
 * are read in SQL.
 */
const MIN_CANDIDATES = 800;
const CANDIDATES_PER_RESULT = 8;
const CANDIDATE_SHARE = 1 / 300;

/** The candidate limit for a search wanting k results (see MIN_CANDIDATES). */
export function candidateLimit(k: number): number {
  return Math.max(MIN_CANDIDATES, k * CANDIDATES_PER_RESULT);
}

/** Key fields an index filters on (the scan is unrolled for them). */
const MAX_KEYS = 3;

/** Removed entries are compacted away once they are this share of the index. */
const COMPACT_SHARE = 0.25;

/**
 * A key filter passing fewer than this share of the entries (one user's memories among a
 * tenant's, one namespace's chunks) is searched through its own entries alone, distances in
 * JavaScript, instead of the kernel's pass over every row: the pass costs the whole index, the
 * entries' own chains (one per key value) cost only themselves.
 */
const NARROW_SHARE = 1 / 16;

/**
 * Rows of a large index sampled (in SAMPLE_BLOCKS runs spread over it) to judge how far the
 * candidates of a query reach, so the pass over every row counts only those (ceilingFor).
 */
const SAMPLE_ROWS = 16_384;
const SAMPLE_BLOCKS = 8;

function sum(counts: Uint32Array): number {
  let total = 0;
  for (const count of counts) total += count;
  return total;
}

/** The candidates of a scan: their positions in the index, and how many entries passed. */
interface Found {
  positions: number[];
  matched: number;
}

/**
 * Where the `limit` nearest of the entries counted in `histogram` stop: every entry nearer than
 * `cutoff`, and the first `atCutoff` at it (all of them when `matched` ≤ limit).
 */
function cutoffOf(
  histogram: Uint32Array,
  matched: number,
  limit: number,
): { cutoff: number; atCutoff: number } {
  if (matched <= limit) return { cutoff: histogram.length, atCutoff: 0 };
  let cutoff = 0;
  let below = 0;
  while (below + histogram[cutoff]! <= limit) {
    below += histogram[cutoff]!;
    cutoff += 1;
  }
  return { cutoff, atCutoff: limit - below };
}

/** The share of a scope's matches taken as candidates when that is more than `limit`. */
function limitFor(limit: number, matched: number): number {
  return Math.max(limit, Math.ceil(matched * CANDIDATE_SHARE));
}

export class SignBitIndex {
  readonly words: number;
  /** Words of a row in the kernel's matrix (whole 64-bit words). */
  private readonly rowWords: number;
  private readonly kernel: HammingKernel;
  /** Highest id ever added: rows above it in the table are new to the index. */
  maxId = 0;
  private length = 0;
  private removed = 0;
  private capacity = 1024;
  private ids = new Float64Array(this.capacity);
  private live = new Uint8Array(this.capacity);
  private times = new Float64Array(this.capacity);
  private codes: Int32Array[];
  /** Per key, the entries of each value (see value-chains.ts). */
  private readonly chains: ValueChains[];
  private bits: Uint32Array;
  private readonly int8: Int8Rows;
  private readonly dictionaries: Map<string | null, number>[];
  private readonly positions = new Map<number, number>();
  /** Positions of the removed entries, until compaction. */
  private removedAt: number[] = [];

  /** `narrowShare`: see NARROW_SHARE (tests set 0 or 1 to walk one path alone). */
  constructor(
    readonly centre: Float32Array,
    readonly keyCount: number,
    private readonly narrowShare = NARROW_SHARE,
  ) {
    if (keyCount > MAX_KEYS) throw new Error(`at most ${MAX_KEYS} key fields, not ${keyCount}`);
    this.words = Math.ceil(centre.length / 32);
    // One memory for both kernels (kernel-memory.ts); each declares its part of it when made,
    // before the first grow.
    const space = new KernelMemory();
    this.kernel = new HammingKernel(Math.ceil(this.words / 2), space);
    this.rowWords = this.kernel.stride * 2;
    this.int8 = new Int8Rows(centre.length, this.capacity, space);
    this.bits = this.kernel.rows(this.capacity);
    this.codes = Array.from({ length: keyCount }, () => new Int32Array(this.capacity));
    this.chains = Array.from({ length: keyCount }, () => new ValueChains(this.capacity));
    this.dictionaries = Array.from({ length: keyCount }, () => new Map<string | null, number>());
  }

  get dimension(): number {
    return this.centre.length;
  }

  /** Live entries. */
  get size(): number {
    return this.length - this.removed;
  }

  /**
   * Room for `rows` entries made at once, for a load whose size is known: doubling up to it would
   * copy the rows made so far at every step, into pages the system then faults in anew (at 300k
   * rows of 512 dimensions, a quarter of a load's time). A hint: when that much room cannot be
   * had, the index stays as it was and grows by doubling as before.
   */
  reserve(rows: number): void {
    if (rows <= this.capacity) return;
    try {
      this.grow(rows);
    } catch {
      // Past what one memory holds: the rows themselves may still fit, doubling decides.
    }
  }

  private grow(capacity = this.capacity * 2): void {
    // Everything allocated before anything changes: when memory cannot be had (the kernels'
    // past 4 GiB), the index stays as it was.
    const grown = <T extends Int32Array | Uint8Array | Float64Array>(
      old: T,
      make: (n: number) => T,
    ): T => {
      const next = make(capacity);
      next.set(old);
      return next;
    };
    const ids = grown(this.ids, (n) => new Float64Array(n));
    const live = grown(this.live, (n) => new Uint8Array(n));
    const times = grown(this.times, (n) => new Float64Array(n));
    const codes = this.codes.map((column) => grown(column, (n) => new Int32Array(n)));
    this.int8.grow(capacity);
    this.bits = this.kernel.rows(capacity); // rows kept in order
    [this.ids, this.live, this.times, this.codes] = [ids, live, times, codes];
    for (const chains of this.chains) chains.grow(capacity);
    this.capacity = capacity;
  }

  /** Adds a row, replacing the entry of the same id if there is one. */
  add(entry: SignBitEntry): void {
    if (entry.signs.length !== this.words * 4) return;
    this.remove(entry.id);
    if (this.length === this.capacity) this.grow();
    const at = this.length;
    this.ids[at] = entry.id;
    this.live[at] = 1;
    this.times[at] = entry.time;
    for (let k = 0; k < this.keyCount; k += 1) {
      const dictionary = this.dictionaries[k]!;
      const value = entry.keys[k] ?? null;
      let code = dictionary.get(value);
      if (code === undefined) {
        code = dictionary.size;
        dictionary.set(value, code);
      }
      this.codes[k]![at] = code;
      this.chains[k]!.add(at, code);
    }
    // Bytes straight into the words' memory: the words are little-endian as they were stored.
    // The whole row: its padding word may hold what the kernel wrote there before it grew.
    const row = new Uint8Array(
      this.bits.buffer,
      this.bits.byteOffset + at * this.rowWords * 4,
      this.rowWords * 4,
    );
    row.fill(0);
    row.set(entry.signs);
    this.int8.set(at, entry.quantised);
    this.positions.set(entry.id, at);
    this.length += 1;
    if (entry.id > this.maxId) this.maxId = entry.id;
  }

  /** Drops a row's entry; true when it was there. */
  remove(id: number): boolean {
    const at = this.positions.get(id);
    if (at === undefined) return false;
    this.positions.delete(id);
    this.live[at] = 0;
    for (let k = 0; k < this.keyCount; k += 1) this.chains[k]!.removed(this.codes[k]![at]!);
    this.removed += 1;
    this.removedAt.push(at);
    if (this.removed > 64 && this.removed > this.length * COMPACT_SHARE) this.compact();
    return true;
  }

  /** Moves the live entries down over the removed ones. */
  private compact(): void {
    let to = 0;
    for (let from = 0; from < this.length; from += 1) {
      if (this.live[from] === 0) continue;
      if (to !== from) {
        this.ids[to] = this.ids[from]!;
        this.live[to] = 1;
        this.times[to] = this.times[from]!;
        for (const codes of this.codes) codes[to] = codes[from]!;
        const row = this.rowWords;
        this.bits.copyWithin(to * row, from * row, (from + 1) * row);
        this.int8.move(to, from);
        this.positions.set(this.ids[to]!, to);
      }
      to += 1;
    }
    this.live.fill(0, to, this.length);
    this.length = to;
    this.removed = 0;
    this.removedAt = [];
    // The chains, rebuilt over the moved entries (live counts are unchanged).
    for (let k = 0; k < this.keyCount; k += 1) this.chains[k]!.rebuild(this.codes[k]!, to);
  }

  /** For each key, a mask over its codes (1: allowed), or undefined when any value passes. */
  private masks(filter: SignBitFilter): Array<Uint8Array | undefined> {
    return Array.from({ length: this.keyCount }, (_, k) => {
      const allowed = filter.keys?.[k];
      if (allowed === undefined) return undefined;
      const dictionary = this.dictionaries[k]!;
      const mask = new Uint8Array(dictionary.size);
      for (const value of allowed) {
        const code = dictionary.get(value);
        if (code !== undefined) mask[code] = 1;
      }
      return mask;
    });
  }

  /** The key whose allowed values hold the fewest live entries, when few enough to walk. */
  private narrowKey(masks: Array<Uint8Array | undefined>): number | undefined {
    let best: number | undefined;
    let fewest = this.length * this.narrowShare;
    masks.forEach((mask, k) => {
      if (mask === undefined) return;
      const count = this.chains[k]!.count(mask);
      if (count < fewest) [best, fewest] = [k, count];
    });
    return best;
  }

  /**
   * Every row's distance at once, with a count per distance (WebAssembly). Without key or time
   * filters the counts serve as they are, less the removed rows; with them, a pass here counts
   * the rows passing. The rows at or below the cutoff (a few per thousand) are then gathered by
   * the kernel and checked again, so nothing is stored per row.
   */
  private scanAll(
    q: Uint32Array,
    masks: Array<Uint8Array | undefined>,
    filter: SignBitFilter,
    limit: number,
  ): Found {
    // At most three key filters, unrolled: the loop below runs once per row of the index.
    const [m0, m1, m2] = masks;
    const [c0, c1, c2] = this.codes;
    const from = filter.from ?? -Infinity;
    const to = filter.to ?? Infinity;
    const timed = filter.from !== undefined || filter.to !== undefined;
    const length = this.length;
    const unfiltered = masks.every((mask) => mask === undefined) && !timed;
    const want = limitFor(limit, this.size);
    // Filtered, the counts are made below over the rows passing: the kernel counts none.
    const ceiling = unfiltered ? this.ceilingFor(q, want) : -1;
    const pass = this.kernel.distances(q, length, ceiling);
    const all = pass.distances;
    // Locals, not fields, in the hot loop.
    const { live, times } = this;
    const passes = (i: number): boolean => {
      if (live[i] === 0) return false;
      if (m0 !== undefined && m0[c0![i]!] !== 1) return false;
      if (m1 !== undefined && m1[c1![i]!] !== 1) return false;
      if (m2 !== undefined && m2[c2![i]!] !== 1) return false;
      if (timed) {
        const time = times[i]!;
        if (time < from || time >= to) return false;
      }
      return true;
    };
    let { histogram } = pass;
    let matched = this.size;
    if (unfiltered) {
      // Removed rows were counted, those within the ceiling.
      const uncount = (within: number) => {
        for (const at of this.removedAt) if (all[at]! <= within) histogram[all[at]!]! -= 1;
      };
      uncount(ceiling ?? Infinity);
      // The sample misjudged the query: fewer than wanted lie within the ceiling. Count all.
      if (ceiling !== undefined && matched > want && sum(histogram) <= want) {
        histogram = this.kernel.distances(q, length).histogram;
        uncount(Infinity);
      }
    } else {
      histogram = new Uint32Array(this.dimension + 1);
      matched = 0;
      for (let i = 0; i < length; i += 1) {
        if (!passes(i)) continue;
        histogram[all[i]!]! += 1;
        matched += 1;
      }
    }
    const selection = cutoffOf(histogram, matched, limitFor(limit, matched));
    const cutoff = Math.min(selection.cutoff, this.dimension);
    let { atCutoff } = selection;
    const positions: number[] = [];
    for (const i of this.kernel.atMost(cutoff, length)) {
      if (!passes(i)) continue;
      if (all[i]! < selection.cutoff) positions.push(i);
      else if (atCutoff > 0) {
        positions.push(i);
        atCutoff -= 1;
      }
    }
    return { positions, matched };
  }

  /**
   * A distance within which about twice `want` entries lie, judged from a sample of the index
   * spread over it: the kernel's pass counts only the entries within it (see hamming-kernel.ts),
   * and scanAll counts them all when fewer than `want` do. Undefined (count all) for a small index.
   */
  private ceilingFor(q: Uint32Array, want: number): number | undefined {
    const { length, dimension } = this;
    if (length < SAMPLE_ROWS * 4) return undefined;
    const block = SAMPLE_ROWS / SAMPLE_BLOCKS;
    const sample = new Uint32Array(dimension + 1);
    for (let b = 0; b < SAMPLE_BLOCKS; b += 1) {
      const from = Math.floor((b * (length - block)) / (SAMPLE_BLOCKS - 1));
      const counts = this.kernel.counts(q, from, block);
      for (let d = 0; d <= dimension; d += 1) sample[d]! += counts[d]!;
    }
    const target = ((2 * want + 64) / length) * SAMPLE_ROWS;
    let seen = 0;
    for (let d = 0; d <= dimension; d += 1) {
      seen += sample[d]!;
      if (seen >= target) return d;
    }
    return undefined;
  }

  /** The entries of key `narrow`'s allowed values alone, through their chains, then the filters. */
  private scanChains(
    q: Uint32Array,
    masks: Array<Uint8Array | undefined>,
    filter: SignBitFilter,
    narrow: number,
    limit: number,
  ): Found {
    const { live, times, bits, words, rowWords } = this;
    // In index order, as the full pass meets them (ties at the cutoff go the same way).
    const order = this.chains[narrow]!.positions(masks[narrow]!, live);
    const from = filter.from ?? -Infinity;
    const to = filter.to ?? Infinity;
    const distances = new Uint16Array(order.length);
    const matchedAt = new Int32Array(order.length);
    const histogram = new Uint32Array(this.dimension + 1);
    // The walked key's values pass by construction; only the other keys' masks are checked.
    const checks = masks.flatMap((mask, k) =>
      mask === undefined || k === narrow ? [] : [{ mask, codes: this.codes[k]! }],
    );
    let matched = 0;
    walk: for (const at of order) {
      for (const { mask, codes } of checks) if (mask[codes[at]!] !== 1) continue walk;
      const time = times[at]!;
      if (time < from || time >= to) continue;
      let distance = 0;
      const row = at * rowWords;
      for (let w = 0; w < words; w += 1) distance += popcount(bits[row + w]! ^ q[w]!);
      distances[matched] = distance;
      matchedAt[matched] = at;
      histogram[distance]! += 1;
      matched += 1;
    }
    const selection = cutoffOf(histogram, matched, limitFor(limit, matched));
    const { cutoff } = selection;
    let { atCutoff } = selection;
    const positions: number[] = [];
    for (let j = 0; j < matched; j += 1) {
      const distance = distances[j]!;
      if (distance < cutoff) positions.push(matchedAt[j]!);
      else if (distance === cutoff && atCutoff > 0) {
        positions.push(matchedAt[j]!);
        atCutoff -= 1;
      }
    }
    return { positions, matched };
  }

  /**
   * The ids of the (up to) `limit` entries in the filter nearest by Hamming distance (or of
   * CANDIDATE_SHARE of the entries passing the filter, when that is more), in no particular
   * order, and how many entries matched the filter (when that is ≤ limit, every match is returned
   * and the search is exact).
   */
  candidates(
    query: Float32Array,
    filter: SignBitFilter,
    limit: number,
  ): { ids: number[]; matched: number } {
    const { positions, matched } = this.select(query, filter, limit);
    return { ids: Array.from(positions, (at) => this.ids[at]!), matched };
  }

  /**
   * The candidates (as `candidates` picks them) split by their int8 copies: `ids`, those that
   * can be among the k nearest, and `others`, those that cannot unless a filter the index does
   * not hold removes some of the first. Whenever k exact scores of `ids` passing every filter
   * reach `floor`, they are the top k of all the candidates.
   */
  nearest(
    query: Float32Array,
    filter: SignBitFilter,
    { k, limit }: { k: number; limit: number },
  ): { ids: number[]; others: number[]; matched: number; floor: number } {
    const { positions, matched } = this.select(query, filter, limit);
    const approximations = this.int8.approximate(query, positions);
    // Those that can reach the top k by their int8 copies, narrowed by their residual codes
    // (k or fewer are all kept whatever their intervals).
    if (positions.length > k)
      this.int8.refine(query, positions, approximations, reachable(approximations, k).keep);
    const { keep, floor } = reachable(approximations, k);
    const ids: number[] = [];
    const others: number[] = [];
    positions.forEach((at, j) => (keep[j] === 1 ? ids : others).push(this.ids[at]!));
    return { ids, others, matched, floor };
  }

  /** Positions of the candidates (see candidates). */
  private select(query: Float32Array, filter: SignBitFilter, limit: number): Found {
    const q = new Uint32Array(this.rowWords);
    q.set(signWords(query, this.centre));
    const masks = this.masks(filter);
    const narrow = this.narrowKey(masks);
    return narrow === undefined
      ? this.scanAll(q, masks, filter, limit)
      : this.scanChains(q, masks, filter, narrow, limit);
  }
}
