// Relations read from the verb phrase between two neighbouring names ("Alice Smith joined
// Globex"), past a relative pronoun or an apposition, with coordinated subjects ("Alice and Bob
// founded Acme"). Verbs of saying, a noun heading the subject, a date or a bare number as the
// object give none.
import type { PatternRelation } from './relation-patterns.js';
import type { Span } from './span.js';
import { has, type TermJson } from './tagged-terms.js';
import { predicateOf } from './verb-phrase.js';

/** Verbs of saying take a clause, not a name, as their object: "Cetin said that Turkey welcomed…". */
const REPORTING_VERBS = new Set([
  'say',
  'tell',
  'add',
  'claim',
  'report',
  'announce',
  'note',
  'state',
  'argue',
  'insist',
  'deny',
  'admit',
  'warn',
  'write',
  'explain',
  'ask',
  'reply',
]);
const RELATIVE_PRONOUNS = new Set(['who', 'which', 'that', 'whom']);

export function verbRelations(terms: TermJson[], spans: Span[]): PatternRelation[] {
  const found: PatternRelation[] = [];
  let coordinated: Span[] = [];
  for (let k = 0; k + 1 < spans.length; k++) {
    const subject = spans[k]!;
    const object = spans[k + 1]!;
    const between = terms.slice(subject.end, object.start);
    if (subject.type === 'date' || subject.type === 'value') {
      coordinated = [];
      continue;
    }
    // "Alice and Bob founded Acme": both are subjects of what follows Bob.
    if (between.length === 1 && has(between[0]!, 'Conjunction') && object.type === subject.type) {
      coordinated.push(subject);
      continue;
    }
    const predicate = verbPredicate(pastApposition(subject, between, terms));
    if (predicate !== undefined && isFactObject(object, terms)) {
      const head = clauseSubject(spans, k, terms);
      for (const each of [...coordinated, head]) found.push({ subject: each, predicate, object });
    }
    coordinated = [];
  }
  return found;
}

/** A date says when a fact holds, not what it is about; a bare number is rarely the object of one. */
function isFactObject(object: Span, terms: TermJson[]): boolean {
  if (object.type === 'date') return false;
  if (object.type !== 'value') return true;
  return terms.slice(object.start, object.end).some((t) => has(t, 'Money'));
}

/**
 * "Herbert Walker, the first mayor of the city, was born in Dayton": the words after an
 * apposition (which has no verb of its own) hold the predicate.
 */
function pastApposition(subject: Span, between: TermJson[], terms: TermJson[]): TermJson[] {
  if (!terms[subject.end - 1]!.post.trim().endsWith(',')) return between;
  let close = -1;
  for (let i = between.length - 2; i >= 0; i--)
    if (between[i]!.post.trim().endsWith(',')) {
      close = i;
      break;
    }
  if (close < 0) return between;
  const apposition = between.slice(0, close + 1);
  return apposition.some((t) => has(t, 'Verb') && !has(t, 'Adjective'))
    ? between
    : between.slice(close + 1);
}

/**
 * The subject of a verb that follows an apposition: "Benjamin Harrison, the 23rd President of
 * the United States, was born in North Bend" — Harrison, not the United States.
 */
function clauseSubject(spans: Span[], k: number, terms: TermJson[]): Span {
  const subject = spans[k]!;
  if (!terms[subject.end - 1]!.post.trim().endsWith(',')) return subject;
  let head = subject;
  for (let j = k - 1; j >= 0; j--) {
    const candidate = spans[j]!;
    if (terms.slice(candidate.end, head.start).some((t) => has(t, 'Verb') && !has(t, 'Adjective')))
      break;
    if (
      (candidate.type === 'person' || candidate.type === 'organization') &&
      terms[candidate.end - 1]!.post.trim().endsWith(',')
    )
      head = candidate;
  }
  return head;
}

/**
 * The verb phrase between two names, read past a relative pronoun ("Booth, who assassinated
 * Lincoln"); verbs of saying give none, nor does a verb whose subject is a noun after the name.
 */
function verbPredicate(between: TermJson[]): string | undefined {
  const from = between.length > 1 && RELATIVE_PRONOUNS.has(between[0]!.normal) ? 1 : 0;
  const words = between.slice(from);
  // "The Challenger accident marked…", "Winterset's busiest street was named for…": a noun
  // before the verb heads the subject, and the name before it only qualifies that noun.
  const verbAt = words.findIndex((t) => has(t, 'Verb'));
  if (words.slice(0, Math.max(verbAt, 0)).some((t) => has(t, 'Noun') && !has(t, 'Pronoun')))
    return undefined;
  const predicate = predicateOf(words);
  if (predicate === undefined) return undefined;
  return predicate.split(' ').some((word) => REPORTING_VERBS.has(word)) ? undefined : predicate;
}
