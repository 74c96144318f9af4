// Ranking lab (research, not shipped behaviour): measures evidence recall@5/10/25 per LoCoMo
// category for ranking ideas over an in-memory index, using cached USE-lite vectors.
// Run: npx tsx bench/lab/locomo-lab.ts
import {
  loadLocomoFile,
  type LocomoConversation,
  type LocomoTurn,
} from '../../src/eval/locomo-data.js';
import { Bm25Index } from '../../src/eval/bm25.js';
import { loadVectorCache } from './embed-cache.js';
import { terms, words } from '../../src/memory/recall/text-analysis.js';

export interface LabParams {
  stemmed: boolean;
  speakerInText: boolean;
  wText: number;
  wVec: number;
  fusion: 'score' | 'rrf';
  vecFloor: number; // cosine below this contributes 0
  neighbour: number;
  neighbourSpan: number;
  session: number;
  sessionTop: number;
  prfDocs: number;
  prfTerms: number;
  prfWeight: number;
  speakerBoost: number;
  sessionCap: number; // max items per session in the top 10 (0 = off)
  neighbourPrev: number; // weight of credit a turn takes from the turn before it (relative)
  neighbourNext: number; // weight of credit a turn takes from the turn after it
  sessionDoc: number; // weight of BM25 over whole sessions as documents
  sessionDecay: number; // soft diversification: score *= decay^(already picked from same session)
  speakerVecs: boolean;
  candidates: number; // text and vector candidate list sizes (0 = all)
  dropSpeakerNames: boolean; // participants' names are matched against the speaker field, not the text
  vecCenter: boolean; // vector score relative to the candidates' mean similarity
  neighbourSum: boolean;
  windowSize: number; // consecutive turns per simulated episode
  windowBoost: number; // turn credit from its episode's text score
  windowItems: number; // weight of episodes as ranked items themselves (0 = turns only)
  stripNamesVec: boolean; // embed the query without participants' names
  firstPerson: number; // boost for first-person statements by the named speaker
  rocchio: number; // vector PRF: q + rocchio * mean(top-3 fused turns' vectors), second pass
}

export const BASE: LabParams = {
  stemmed: true,
  speakerInText: false,
  wText: 1,
  wVec: 0,
  fusion: 'score',
  vecFloor: 0,
  neighbour: 0,
  neighbourSpan: 1,
  session: 0,
  sessionTop: 3,
  prfDocs: 0,
  prfTerms: 10,
  prfWeight: 0.3,
  speakerBoost: 0,
  sessionCap: 0,
  neighbourPrev: 1,
  neighbourNext: 1,
  sessionDoc: 0,
  sessionDecay: 1,
  speakerVecs: false,
  candidates: 0,
  dropSpeakerNames: false,
  vecCenter: false,
  neighbourSum: false,
  windowSize: 5,
  windowBoost: 0,
  windowItems: 0,
  stripNamesVec: false,
  firstPerson: 0,
  rocchio: 0,
};

interface Prepared {
  conv: LocomoConversation;
  turns: LocomoTurn[];
  vecs: Float32Array[];
  spVecs: Float32Array[];
  sessBm: Map<string, Bm25Index>;
  sessIds: number[];
  windows: Map<
    number,
    { bm: Map<string, Bm25Index>; members: number[][]; vecs: Float32Array[]; of: number[] }
  >;
  sessionOf: number[];
  posOf: number[];
  bm: Map<string, Bm25Index>;
  qvecs: Map<string, Float32Array>;
}

const vecCache = loadVectorCache();

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function analyse(text: string, stemmed: boolean): string[] {
  return stemmed ? terms(text) : words(text);
}

function prepare(conv: LocomoConversation): Prepared {
  const turns = conv.sessions.flatMap((s) => s.turns);
  const vecs = turns.map((t) => vecCache.get(t.content) ?? new Float32Array(512));
  const spVecs = turns.map(
    (t) => vecCache.get(`${t.speaker}: ${t.content}`) ?? new Float32Array(512),
  );
  const sessionOf = turns.map((t) => t.sessionIndex);
  const sessIds = conv.sessions.map((s) => s.index);
  const sessBm = new Map<string, Bm25Index>();
  for (const stemmed of [true, false])
    for (const sp of [true, false]) {
      const idx = new Bm25Index();
      for (const s of conv.sessions)
        idx.add(
          s.turns.flatMap((t) => analyse(sp ? `${t.speaker}: ${t.content}` : t.content, stemmed)),
        );
      sessBm.set(`${stemmed}/${sp}`, idx);
    }
  const posOf = turns.map((t) => Number(t.diaId.split(':')[1]));
  const bm = new Map<string, Bm25Index>();
  for (const stemmed of [true, false])
    for (const sp of [true, false]) {
      const idx = new Bm25Index();
      for (const t of turns)
        idx.add(analyse(sp ? `${t.speaker}: ${t.content}` : t.content, stemmed));
      bm.set(`${stemmed}/${sp}`, idx);
    }
  const windows = new Map<
    number,
    { bm: Map<string, Bm25Index>; members: number[][]; vecs: Float32Array[]; of: number[] }
  >();
  for (const size of [3, 5, 8]) {
    const members: number[][] = [];
    const of: number[] = new Array<number>(turns.length).fill(-1);
    let cur: number[] = [];
    turns.forEach((t, i) => {
      if (cur.length > 0 && (cur.length >= size || sessionOf[cur[0]!] !== t.sessionIndex)) {
        members.push(cur);
        cur = [];
      }
      cur.push(i);
    });
    if (cur.length) members.push(cur);
    members.forEach((m, w) => m.forEach((i) => (of[i] = w)));
    const bmw = new Map<string, Bm25Index>();
    for (const stemmed of [true, false])
      for (const sp of [true, false]) {
        const idx = new Bm25Index();
        for (const m of members)
          idx.add(
            m.flatMap((i) =>
              analyse(
                sp ? `${turns[i]!.speaker}: ${turns[i]!.content}` : turns[i]!.content,
                stemmed,
              ),
            ),
          );
        bmw.set(`${stemmed}/${sp}`, idx);
      }
    const wv = members.map((m) => {
      const v = new Float32Array(512);
      for (const i of m) for (let d = 0; d < 512; d++) v[d]! += vecs[i]![d]!;
      const nn = Math.sqrt(v.reduce((a, x) => a + x * x, 0)) || 1;
      return v.map((x) => x / nn);
    });
    windows.set(size, { bm: bmw, members, vecs: wv, of });
  }
  const qvecs = new Map<string, Float32Array>();
  for (const q of conv.questions)
    qvecs.set(q.question, vecCache.get(q.question) ?? new Float32Array(512));
  return { conv, turns, vecs, spVecs, sessBm, sessIds, windows, sessionOf, posOf, bm, qvecs };
}

function normMax(m: Map<number, number>, n: number): Float64Array {
  const out = new Float64Array(n);
  let max = 0;
  for (const v of m.values()) max = Math.max(max, v);
  if (max > 0) for (const [k, v] of m) out[k] = v / max;
  return out;
}

export let lastMixed: number[][] | undefined;

export function rank(p: Prepared, question: string, P: LabParams): number[] {
  if (P.rocchio > 0) {
    const first = rankOnce(p, question, { ...P, rocchio: 0 }, undefined);
    const qv0 = p.qvecs.get(question)!;
    const v = new Float32Array(qv0);
    for (const d of first.slice(0, 3))
      for (let i = 0; i < v.length; i++) v[i]! += (P.rocchio / 3) * p.vecs[d]![i]!;
    const nn = Math.sqrt(v.reduce((a, x) => a + x * x, 0)) || 1;
    return rankOnce(
      p,
      question,
      P,
      v.map((x) => x / nn),
    );
  }
  return rankOnce(p, question, P, undefined);
}

function rankOnce(
  p: Prepared,
  question: string,
  P: LabParams,
  qvOverride: Float32Array | undefined,
): number[] {
  const n = p.turns.length;
  const idx = p.bm.get(`${P.stemmed}/${P.speakerInText}`)!;
  let qt = analyse(question, P.stemmed);
  if (P.dropSpeakerNames) {
    const names = new Set(p.conv.speakers.flatMap((sp) => analyse(sp, P.stemmed)));
    const kept = qt.filter((t) => !names.has(t));
    if (kept.length > 0) qt = kept;
  }
  let text = idx.score(qt);
  if (P.prfDocs > 0) {
    // RM3-style pseudo-relevance feedback: terms frequent in the top documents, weighted by
    // document score and IDF, added to the query with weight prfWeight.
    const top = [...text.entries()].sort((a, b) => b[1] - a[1]).slice(0, P.prfDocs);
    const tw = new Map<string, number>();
    const qs = new Set(qt);
    const maxS = top[0]?.[1] ?? 1;
    for (const [d, s] of top) {
      const tf = idx.termFrequencies(d);
      let len = 0;
      for (const c of tf.values()) len += c;
      for (const [t, c] of tf)
        if (!qs.has(t)) tw.set(t, (tw.get(t) ?? 0) + (s / maxS) * (c / len) * idx.idf(t));
    }
    const exp = [...tw.entries()].sort((a, b) => b[1] - a[1]).slice(0, P.prfTerms);
    const sum = exp.reduce((a, [, w]) => a + w, 0) || 1;
    const weights = new Map<string, number>();
    for (const t of qt) weights.set(t, 1 - P.prfWeight);
    for (const [t, w] of exp) weights.set(t, (P.prfWeight * w * P.prfTerms) / sum);
    text = idx.score([...qt, ...exp.map(([t]) => t)], weights);
  }
  if (P.candidates > 0)
    text = new Map([...text.entries()].sort((a, b) => b[1] - a[1]).slice(0, P.candidates));
  const tn = normMax(text, n);
  let qv = qvOverride ?? p.qvecs.get(question)!;
  if (P.stripNamesVec) {
    const names = new Set(p.conv.speakers.flatMap((sp) => words(sp)));
    const v = vecCache.get(
      words(question)
        .filter((w) => !names.has(w))
        .join(' '),
    );
    if (v) qv = v;
  }
  const cos = new Float64Array(n);
  const vv = P.speakerVecs ? p.spVecs : p.vecs;
  for (let i = 0; i < n; i++) cos[i] = dot(qv, vv[i]!);
  if (P.candidates > 0) {
    const keep = new Set(
      [...Array(n).keys()].sort((a, b) => cos[b]! - cos[a]!).slice(0, P.candidates),
    );
    for (let i = 0; i < n; i++) if (!keep.has(i)) cos[i] = 0;
  }
  let fused = new Float64Array(n);
  if (P.fusion === 'rrf') {
    const rt = [...Array(n).keys()].sort((a, b) => tn[b]! - tn[a]!);
    const rv = [...Array(n).keys()].sort((a, b) => cos[b]! - cos[a]!);
    rt.forEach((d, r) => (fused[d]! += (P.wText * (tn[d]! > 0 ? 1 : 0)) / (60 + r)));
    rv.forEach((d, r) => (fused[d]! += P.wVec / (60 + r)));
  } else {
    let maxC = 0;
    let mean = 0;
    for (let i = 0; i < n; i++) {
      maxC = Math.max(maxC, cos[i]!);
      mean += cos[i]! / n;
    }
    const floor = P.vecCenter ? mean : P.vecFloor;
    for (let i = 0; i < n; i++) {
      const v = Math.max(0, cos[i]! - floor) / Math.max(1e-9, maxC - floor);
      fused[i] = P.wText * tn[i]! + P.wVec * v;
    }
  }
  if (P.speakerBoost > 0) {
    const qw = new Set(words(question));
    for (let i = 0; i < n; i++) {
      if (!qw.has(p.turns[i]!.speaker.toLowerCase())) continue;
      fused[i]! *= 1 + P.speakerBoost;
      if (P.firstPerson > 0) {
        const fp = words(p.turns[i]!.content).filter((w) =>
          ['i', 'my', 'me', "i'm", "i've", 'we', 'our'].includes(w),
        ).length;
        fused[i]! *= 1 + P.firstPerson * Math.min(1, fp / 2);
      }
    }
  }
  if (P.neighbour > 0) {
    const base = fused;
    fused = new Float64Array(base);
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let d = 1; d <= P.neighbourSpan; d++) {
        for (const [j, w] of [
          [i - d, P.neighbourPrev],
          [i + d, P.neighbourNext],
        ] as const) {
          if (j >= 0 && j < n && p.sessionOf[j] === p.sessionOf[i])
            best = P.neighbourSum
              ? best + (w * base[j]!) / d / 2
              : Math.max(best, (w * base[j]!) / d);
        }
      }
      fused[i]! += P.neighbour * best;
    }
  }
  if (P.session > 0) {
    const per = new Map<number, number[]>();
    for (let i = 0; i < n; i++) {
      const s = p.sessionOf[i]!;
      let arr = per.get(s);
      if (!arr) per.set(s, (arr = []));
      arr.push(fused[i]!);
    }
    const sessScore = new Map<number, number>();
    let maxS = 0;
    for (const [s, arr] of per) {
      arr.sort((a, b) => b - a);
      const v = arr.slice(0, P.sessionTop).reduce((a, b) => a + b, 0);
      sessScore.set(s, v);
      maxS = Math.max(maxS, v);
    }
    for (let i = 0; i < n; i++)
      fused[i]! += (P.session * sessScore.get(p.sessionOf[i]!)!) / (maxS || 1);
  }
  if (P.sessionDoc > 0) {
    const sidx = p.sessBm.get(`${P.stemmed}/${P.speakerInText}`)!;
    const ss = normMax(sidx.score(qt), p.sessIds.length);
    const byIndex = new Map(p.sessIds.map((s, i) => [s, ss[i]!]));
    for (let i = 0; i < n; i++) fused[i]! += P.sessionDoc * (byIndex.get(p.sessionOf[i]!) ?? 0);
  }
  let wScore: Float64Array | undefined;
  const W = p.windows.get(P.windowSize)!;
  if (P.windowBoost > 0 || P.windowItems > 0) {
    const ws = normMax(W.bm.get(`${P.stemmed}/${P.speakerInText}`)!.score(qt), W.members.length);
    let maxC = 0;
    const wc = W.vecs.map((v) => dot(qv, v));
    for (const c of wc) maxC = Math.max(maxC, c);
    wScore = new Float64Array(W.members.length);
    for (let w = 0; w < W.members.length; w++)
      wScore[w] = P.wText * ws[w]! + (P.wVec * Math.max(0, wc[w]!)) / (maxC || 1);
    if (P.windowBoost > 0)
      for (let i = 0; i < n; i++) fused[i]! += P.windowBoost * wScore[W.of[i]!]!;
  }
  let order = [...Array(n).keys()].sort((a, b) => fused[b]! - fused[a]!);
  if (P.windowItems > 0 && wScore) {
    // Mixed list: ids >= n are windows. Returned as lists of turn indices.
    const items: Array<{ s: number; turns: number[] }> = [];
    for (let i = 0; i < n; i++) items.push({ s: fused[i]!, turns: [i] });
    for (let w = 0; w < W.members.length; w++)
      items.push({ s: P.windowItems * wScore[w]!, turns: W.members[w]! });
    items.sort((a, b) => b.s - a.s);
    lastMixed = items.map((x) => x.turns);
    return order;
  }
  lastMixed = undefined;
  if (P.sessionDecay < 1) {
    const picked: number[] = [];
    const count = new Map<number, number>();
    const pool = order.slice(0, 60);
    while (picked.length < 25 && pool.length > 0) {
      let bi = 0;
      let bs = -Infinity;
      pool.forEach((d, i) => {
        const s = fused[d]! * P.sessionDecay ** (count.get(p.sessionOf[d]!) ?? 0);
        if (s > bs) {
          bs = s;
          bi = i;
        }
      });
      const d = pool.splice(bi, 1)[0]!;
      picked.push(d);
      count.set(p.sessionOf[d]!, (count.get(p.sessionOf[d]!) ?? 0) + 1);
    }
    const set = new Set(picked);
    order = [...picked, ...order.filter((d) => !set.has(d))];
  }
  if (P.sessionCap > 0) {
    const head: number[] = [];
    const rest: number[] = [];
    const count = new Map<number, number>();
    for (const d of order) {
      const s = p.sessionOf[d]!;
      const c = count.get(s) ?? 0;
      if (head.length < 10 && c < P.sessionCap) {
        head.push(d);
        count.set(s, c + 1);
      } else rest.push(d);
    }
    return [...head, ...rest];
  }
  return order;
}

export interface Result {
  turnsBehind?: number;
  n: number;
  at: Record<number, number>;
  byCat: Record<number, { n: number; at: Record<number, number> }>;
}

const KS = [5, 10, 25];

export function evaluate(preps: Prepared[], P: LabParams): Result {
  const res: Result = { n: 0, at: { 5: 0, 10: 0, 25: 0 }, byCat: {} };
  for (const p of preps) {
    for (const q of p.conv.questions) {
      if (q.category === 5 || q.evidence.length === 0) continue;
      const order = rank(p, q.question, P);
      const cat = (res.byCat[q.category] ??= { n: 0, at: { 5: 0, 10: 0, 25: 0 } });
      res.n++;
      cat.n++;
      const mixed = lastMixed;
      for (const k of KS) {
        const top = new Set(
          mixed
            ? mixed
                .slice(0, k)
                .flat()
                .map((d) => p.turns[d]!.diaId)
            : order.slice(0, k).map((d) => p.turns[d]!.diaId),
        );
        if (mixed && k === 10) res.turnsBehind = (res.turnsBehind ?? 0) + top.size;
        const r = q.evidence.filter((e) => top.has(e)).length / q.evidence.length;
        res.at[k]! += r;
        cat.at[k]! += r;
      }
    }
  }
  for (const k of KS) res.at[k]! /= res.n;
  if (res.turnsBehind) res.turnsBehind /= res.n;
  for (const c of Object.values(res.byCat)) for (const k of KS) c.at[k]! /= c.n;
  return res;
}

export function fmt(label: string, r: Result): string {
  const cats = [1, 2, 3, 4].map((c) => (r.byCat[c]?.at[10] ?? 0).toFixed(3)).join(' ');
  return `${label.padEnd(50)} tb10 ${(r.turnsBehind ?? 10).toFixed(1)} @5 ${r.at[5]!.toFixed(3)} @10 ${r.at[10]!.toFixed(3)} @25 ${r.at[25]!.toFixed(3)} | c1-4@10 ${cats}`;
}

export async function loadPrepared(files: string[]): Promise<Prepared[]> {
  const out: Prepared[] = [];
  for (const f of files) out.push(prepare(await loadLocomoFile(f)));
  return out;
}
