// An in-memory BM25 index over short texts (Robertson/Sparck Jones IDF, k1 = 1.2, b = 0.75).
// Used by the LoCoMo evaluation's `--baseline bm25` column and by the ranking lab.

export interface Bm25Options {
  k1?: number;
  b?: number;
}

export class Bm25Index {
  private readonly docs: Map<string, number>[] = [];
  private readonly lengths: number[] = [];
  private readonly df = new Map<string, number>();
  private readonly postings = new Map<string, number[]>();
  private totalLength = 0;
  private readonly k1: number;
  private readonly b: number;

  constructor(options: Bm25Options = {}) {
    this.k1 = options.k1 ?? 1.2;
    this.b = options.b ?? 0.75;
  }

  get size(): number {
    return this.docs.length;
  }

  /** Adds a document (its analysed terms); returns its index. */
  add(terms: string[]): number {
    const tf = new Map<string, number>();
    for (const t of terms) tf.set(t, (tf.get(t) ?? 0) + 1);
    const id = this.docs.length;
    this.docs.push(tf);
    this.lengths.push(terms.length);
    this.totalLength += terms.length;
    for (const t of tf.keys()) {
      this.df.set(t, (this.df.get(t) ?? 0) + 1);
      let p = this.postings.get(t);
      if (!p) this.postings.set(t, (p = []));
      p.push(id);
    }
    return id;
  }

  idf(term: string): number {
    const n = this.docs.length;
    const df = this.df.get(term) ?? 0;
    return Math.log(1 + (n - df + 0.5) / (df + 0.5));
  }

  termFrequencies(doc: number): ReadonlyMap<string, number> {
    return this.docs[doc] ?? new Map();
  }

  /** Scores of every document matching at least one query term; `weights` scale query terms. */
  score(queryTerms: string[], weights?: ReadonlyMap<string, number>): Map<number, number> {
    const out = new Map<number, number>();
    const avg = this.totalLength / Math.max(1, this.docs.length);
    const q = new Map<string, number>();
    for (const t of queryTerms) q.set(t, (q.get(t) ?? 0) + (weights?.get(t) ?? 1));
    for (const [t, qw] of q) {
      const idf = this.idf(t);
      for (const d of this.postings.get(t) ?? []) {
        const tf = this.docs[d]!.get(t)!;
        const len = this.lengths[d]!;
        const s = (idf * tf * (this.k1 + 1)) / (tf + this.k1 * (1 - this.b + (this.b * len) / avg));
        out.set(d, (out.get(d) ?? 0) + qw * s);
      }
    }
    return out;
  }
}
