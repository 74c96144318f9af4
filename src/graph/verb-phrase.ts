// Verb phrases: the predicate between two names, lemmatised from the tags compromise gave each
// term in its sentence ("was acquired by" → "be acquired by", "joined" → "join").
import nlp from 'compromise/two';
import { breaksAfter, has, type TermJson } from './tagged-terms.js';

const MAX_PREDICATE_TERMS = 8;
/** Longer "predicates" are clauses ("is a graph database system developed by"), not relations. */
const MAX_PREDICATE_WORDS = 4;
const POSSESSIVES = new Set(['its', 'their', 'his', 'her']);

interface VerbMethods {
  methods(): {
    two: {
      transform: {
        verb: { toInfinitive(this: void, word: string, model: unknown, tense: string): string };
      };
    };
  };
  model(): unknown;
}

const verbTools = nlp as unknown as VerbMethods;
const toInfinitive = verbTools.methods().two.transform.verb.toInfinitive;
const verbModel = verbTools.model();
const infinitives = new Map<string, string>();
const BE_FORMS = new Set(['is', 'was', 'are', 'were', 'be', 'been', 'being', "'s", "'re"]);
const TENSES = ['Gerund', 'PastTense', 'PresentTense', 'Participle', 'Infinitive'];

/** A verb's infinitive from its tagged tense ("joined" → "join"), cached; compromise's conjugator, without re-parsing. */
function infinitiveOf(term: TermJson): string {
  const tense = TENSES.find((t) => term.tags.includes(t)) ?? 'PresentTense';
  const cacheKey = `${term.normal}|${tense}`;
  let lemma = infinitives.get(cacheKey);
  if (lemma === undefined) {
    lemma =
      tense === 'Infinitive'
        ? term.normal
        : toInfinitive(term.normal, verbModel, tense) || term.normal;
    if (infinitives.size < 50_000) infinitives.set(cacheKey, lemma);
  }
  return lemma;
}

/**
 * The predicate between two names: verbs as infinitives, a copula as "be", passives as
 * "be <participle>" ("was acquired by" → "be acquired by"), nouns and prepositions kept,
 * determiners, adverbs and adjectives dropped. A negation ("does not work at") yields nothing:
 * a denied relation is not a fact.
 */
export function predicateOf(between: TermJson[]): string | undefined {
  if (between.length === 0 || between.length > MAX_PREDICATE_TERMS) return undefined;
  const words: string[] = [];
  let hasVerb = false;
  let passive = false;
  for (const term of between) {
    if (POSSESSIVES.has(term.normal)) continue;
    if (breaksAfter(term) && term !== between[between.length - 1]) return undefined;
    // compromise tags "to" as a conjunction at times ("moved to Paris").
    if (has(term, 'Preposition', 'Particle') || term.normal === 'to') {
      words.push(term.normal);
      continue;
    }
    if (term.normal === '' || has(term, 'Conjunction', 'Pronoun', 'QuestionWord', 'Negative'))
      return undefined;
    if (has(term, 'Verb')) {
      if (has(term, 'Auxiliary', 'Modal')) {
        if (has(term, 'Passive') || BE_FORMS.has(term.normal)) passive = true;
        continue;
      }
      hasVerb = true;
      if (has(term, 'Copula')) words.push('be');
      else if (has(term, 'Passive') || (passive && has(term, 'PastTense', 'Participle')))
        words.push(`be ${term.normal}`);
      else words.push(infinitiveOf(term));
      continue;
    }
    if (has(term, 'Determiner', 'Adverb', 'Adjective')) continue;
    words.push(term.normal);
  }
  if (!hasVerb || words.length === 0 || words.length > MAX_PREDICATE_WORDS) return undefined;
  return words.join(' ');
}
