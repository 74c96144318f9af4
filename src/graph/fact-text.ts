// How a fact reads as text: "Alice Smith works at Globex (since 2021-01-01)". Canonical
// predicates read as written; other lemmas read in the present tense, as a state that holds since a date ("know" → "knows", "be x" → "is x").
import nlp from 'compromise';
import type { RelationWithNames } from '../ports/graph-store.js';

const DISPLAY: Record<string, string> = { 'is ceo of': 'is CEO of' };
const presentTense = new Map<string, string>();

export function predicateLabel(predicate: string): string {
  const fixed = DISPLAY[predicate];
  if (fixed !== undefined) return fixed;
  if (predicate.startsWith('be ')) return `is ${predicate.slice(3)}`;
  if (/^(works|lives|is|reports|acquired|founded) /.test(`${predicate} `)) return predicate;
  let label = presentTense.get(predicate);
  if (label === undefined) {
    const doc = nlp(predicate);
    doc.verbs().toPresentTense();
    label = doc.text() || predicate;
    if (presentTense.size < 10_000) presentTense.set(predicate, label);
  }
  return label;
}

function day(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function factText(fact: RelationWithNames): string {
  const validity =
    fact.invalidAt === null
      ? `(since ${day(fact.validAt)})`
      : `(from ${day(fact.validAt)} until ${day(fact.invalidAt)})`;
  return `${fact.subjectName} ${predicateLabel(fact.predicate)} ${fact.objectName} ${validity}`;
}
