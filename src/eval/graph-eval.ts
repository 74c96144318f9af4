// `engram eval graph`: the configured extractor on each gold sentence, scored by exact match of
// names (case, spacing and a final period ignored). Entities typed (person ↔ Peop, organization ↔ Org, place ↔
// Loc; gold Other and predicted topic, product, date and value left out) and untyped (every gold
// entity against every predicted name but dates and values, which the corpus does not mark).
// Relations as (head, tail) pairs, ordered and unordered, after the graph's own predicate
// normalisation (an inverse phrasing swaps the ends, as the graph stores it), and per CoNLL04
// kind through `relationKind` (src/graph/predicates.ts).
import type { EntityType, Extractor } from '../ports/extractor.js';
import { normalizePredicate, relationKind } from '../graph/predicates.js';
import type { GoldSentence } from './graph-data.js';

export interface Score {
  gold: number;
  predicted: number;
  correct: number;
  precision: number;
  recall: number;
  f1: number;
}

export interface GraphEvalReport {
  extractor: string;
  sentences: number;
  entities: { typed: Score; untyped: Score; byType: Record<string, Score> };
  relations: { ordered: Score; unordered: Score; byKind: Record<string, Score> };
  sentencesPerSecond: number;
  /** Sentences the extractor could not read (a model's reply still invalid after a repair); scored as finding nothing. */
  failedSentences: number;
}

const GOLD_TYPE: Record<string, EntityType> = { Peop: 'person', Org: 'organization', Loc: 'place' };
const UNMARKED: ReadonlySet<EntityType> = new Set(['date', 'value']);

/**
 * Case, spacing and a final period ignored: the corpus glues a sentence's period to its last
 * token ("Kosovo.") and splits an abbreviation's ("Minn ."), so "Kosovo" and "Minn." match.
 */
const norm = (surface: string) =>
  surface
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/\s?\.$/, '');

class Tally {
  gold = 0;
  predicted = 0;
  correct = 0;
  add(gold: ReadonlySet<string>, predicted: ReadonlySet<string>): void {
    this.gold += gold.size;
    this.predicted += predicted.size;
    for (const key of predicted) if (gold.has(key)) this.correct += 1;
  }
  score(): Score {
    const precision = this.predicted === 0 ? 0 : this.correct / this.predicted;
    const recall = this.gold === 0 ? 0 : this.correct / this.gold;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return {
      gold: this.gold,
      predicted: this.predicted,
      correct: this.correct,
      precision,
      recall,
      f1,
    };
  }
}

function tallies<K extends string>(keys: readonly K[]): Record<K, Tally> {
  return Object.fromEntries(keys.map((key) => [key, new Tally()])) as Record<K, Tally>;
}

const ENTITY_TYPES = ['person', 'organization', 'place'] as const;
const KINDS = ['Work_For', 'Live_In', 'OrgBased_In', 'Located_In', 'Kill'] as const;

export async function runGraphEval(
  sentences: GoldSentence[],
  extractor: Extractor,
  onProgress?: (done: number, total: number) => void,
): Promise<GraphEvalReport> {
  const typed = new Tally();
  const untyped = new Tally();
  const byType = tallies(ENTITY_TYPES);
  const ordered = new Tally();
  const unordered = new Tally();
  const byKind = tallies(KINDS);
  const started = performance.now();
  let failedSentences = 0;
  for (const [index, sentence] of sentences.entries()) {
    const { mentions, relations, failures } = await extractor.extract([
      { id: `s${index}`, ordinal: 0, text: sentence.text },
    ]);
    if ((failures?.length ?? 0) > 0) failedSentences += 1;
    const typedGold = new Set<string>();
    for (const entity of sentence.entities) {
      const type = GOLD_TYPE[entity.type];
      if (type !== undefined) typedGold.add(`${type}\u0000${norm(entity.surface)}`);
    }
    const typedPredicted = new Set(
      mentions
        .filter((m) => (ENTITY_TYPES as readonly string[]).includes(m.type))
        .map((m) => `${m.type}\u0000${norm(m.surface)}`),
    );
    typed.add(typedGold, typedPredicted);
    for (const type of ENTITY_TYPES) {
      const only = (keys: Set<string>) =>
        new Set([...keys].filter((key) => key.startsWith(`${type}\u0000`)));
      byType[type].add(only(typedGold), only(typedPredicted));
    }
    untyped.add(
      new Set(sentence.entities.map((entity) => norm(entity.surface))),
      new Set(mentions.filter((m) => !UNMARKED.has(m.type)).map((m) => norm(m.surface))),
    );

    const pair = (head: string, tail: string) => `${norm(head)}\u0000${norm(tail)}`;
    const unorderedPair = (a: string, b: string) => [norm(a), norm(b)].sort().join('\u0000');
    const facts = relations.map((relation) => {
      const { key, inverse } = normalizePredicate(relation.predicate);
      return inverse
        ? {
            key,
            head: relation.object,
            headType: relation.objectType,
            tail: relation.subject,
            tailType: relation.subjectType,
          }
        : {
            key,
            head: relation.subject,
            headType: relation.subjectType,
            tail: relation.object,
            tailType: relation.objectType,
          };
    });
    ordered.add(
      new Set(sentence.relations.map((r) => pair(r.head, r.tail))),
      new Set(facts.map((f) => pair(f.head, f.tail))),
    );
    unordered.add(
      new Set(sentence.relations.map((r) => unorderedPair(r.head, r.tail))),
      new Set(facts.map((f) => unorderedPair(f.head, f.tail))),
    );
    for (const kind of KINDS) {
      byKind[kind].add(
        new Set(sentence.relations.filter((r) => r.type === kind).map((r) => pair(r.head, r.tail))),
        new Set(
          facts
            .filter((f) => relationKind(f.key, f.headType, f.tailType) === kind)
            .map((f) => pair(f.head, f.tail)),
        ),
      );
    }
    onProgress?.(index + 1, sentences.length);
  }
  const seconds = (performance.now() - started) / 1000;
  const scores = <K extends string>(t: Record<K, Tally>) =>
    Object.fromEntries(Object.entries<Tally>(t).map(([k, v]) => [k, v.score()])) as Record<
      K,
      Score
    >;
  return {
    extractor: extractor.id,
    sentences: sentences.length,
    entities: { typed: typed.score(), untyped: untyped.score(), byType: scores(byType) },
    relations: { ordered: ordered.score(), unordered: unordered.score(), byKind: scores(byKind) },
    sentencesPerSecond: seconds > 0 ? sentences.length / seconds : 0,
    failedSentences,
  };
}

export function formatGraphReport(report: GraphEvalReport): string {
  const f3 = (x: number) => x.toFixed(3);
  const row = (name: string, s: Score) =>
    `${name.padEnd(28)} ${f3(s.precision)}  ${f3(s.recall)}  ${f3(s.f1)}  ${String(s.correct).padStart(5)} ${String(s.predicted).padStart(9)} ${String(s.gold).padStart(5)}`;
  return [
    `extractor ${report.extractor}, ${report.sentences} sentences, ${report.sentencesPerSecond.toFixed(1)} sentences/s`,
    `${''.padEnd(28)} P      R      F1     right predicted  gold`,
    row('entities, typed', report.entities.typed),
    ...Object.entries(report.entities.byType).map(([type, s]) => row(`  ${type}`, s)),
    row('entities, untyped', report.entities.untyped),
    row('relations (head, tail)', report.relations.ordered),
    row('relations, unordered', report.relations.unordered),
    ...Object.entries(report.relations.byKind).map(([kind, s]) => row(`  ${kind}`, s)),
    ...(report.failedSentences > 0
      ? [
          `${report.failedSentences} sentences the extractor could not read (scored as finding nothing)`,
        ]
      : []),
  ].join('\n');
}
