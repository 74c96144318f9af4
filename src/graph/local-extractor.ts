// The offline extractor: part-of-speech tags give names (people, organisations, places,
// products/topics), dates and values; a second look types and trims each name from its words and
// context (span-typing.ts); relations come from the verb phrase between two names ("Alice Smith
// joined Globex" → Alice Smith —join→ Globex, verb-relations.ts) and from the shape of the
// sentence (appositions, titles, locatives, datelines: relation-patterns.ts). No model download,
// no network, deterministic: re-extracting a chunk gives the same result. docs/graph.md.
// The tags are wink-nlp's, read into compromise's tag names (wink-terms.ts): the same rules read
// compromise's own tags as well (extractTagged), which the lab comparing the two uses.
import type {
  ChunkText,
  EntityType,
  Extraction,
  ExtractedMention,
  ExtractedRelation,
} from '../ports/extractor.js';
import { parseDate } from './dates.js';
import { isKnownPlace } from './gazetteer.js';
import { CANONICAL_PREDICATES, normalizePredicate } from './predicates.js';
import { isPlaceAbbreviation, leadsOf } from './entity-cues.js';
import { carryAlongPlaces, patternRelations } from './relation-patterns.js';
import { surfaceOf, type Span } from './span.js';
import { refineSpans } from './span-typing.js';
import {
  breaksAfter,
  foldPunctuation,
  has,
  hasAny,
  isCapitalised,
  type TermJson,
} from './tagged-terms.js';
import { predicateOf } from './verb-phrase.js';
import { verbRelations } from './verb-relations.js';
import { winkSentences } from './wink-terms.js';

/** A sentence of tagged terms in the shape of compromise's JSON output (`json({ offset: true })`). */
export interface SentenceJson {
  text: string;
  terms: TermJson[];
}

const CANONICAL: ReadonlySet<string> = new Set(CANONICAL_PREDICATES);

// Sets made once: the hot paths ask whether a term holds any of them.
const NAME_BLOCKERS = new Set([
  'Pronoun',
  'Determiner',
  'Actor',
  'Adjective',
  'Demonym',
  'Verb',
  'Preposition',
  'Conjunction',
  'QuestionWord',
]);
const DATE_TAGS = new Set(['Date', 'Month', 'WeekDay', 'Year']);
const VALUE_TAGS = new Set(['Money', 'Percent', 'Value']);
const DATE_OR_VALUE_TAGS = new Set([...DATE_TAGS, ...VALUE_TAGS]);
const NOT_CONTINUING_TAGS = new Set([...NAME_BLOCKERS, ...DATE_TAGS, ...VALUE_TAGS]);
const DATE_GOES_ON_TAGS = new Set([...DATE_TAGS, 'Value']);
const NOT_VERSION_TAGS = new Set([...DATE_TAGS, 'Money', 'Percent']);
const CORPORATE_FORMS = new Set([
  'inc',
  'ltd',
  'llc',
  'corp',
  'co',
  'plc',
  'gmbh',
  'ag',
  'sa',
  'llp',
]);
/** Words the tagger sometimes folds into a name ("Inc. The company") that never are one. */
const FUNCTION_WORDS = new Set([
  'the',
  'a',
  'an',
  'he',
  'she',
  'it',
  'they',
  'we',
  'i',
  'you',
  'this',
  'that',
  'these',
  'those',
  'its',
  'their',
  'our',
  'his',
  'her',
]);
const NAME_PARTICLES = new Set([
  'of',
  'de',
  'da',
  'del',
  'van',
  'von',
  'der',
  'den',
  'du',
  'la',
  'le',
  'y',
  '&',
]);
/** Subjects of these predicates are people, whatever the tagger thought ("Satya Nadella is the CEO of"). */
const PERSON_PREDICATES = new Set([
  'works at',
  'lives in',
  'is ceo of',
  'is married to',
  'reports to',
  'was born in',
]);
const PERSON_PRONOUNS = new Set(['he', 'she']);
const ORGANIZATION_NOUNS = new Set([
  'company',
  'firm',
  'startup',
  'organization',
  'organisation',
  'business',
]);

/** "Neo4j", "iPhone", "GPT4": letters mixed with digits or inner capitals — product-like names. */
function looksLikeProduct(text: string): boolean {
  return (/\p{L}/u.test(text) && /\d/.test(text)) || /^\p{Ll}+\p{Lu}/u.test(text);
}

function strongType(term: TermJson): EntityType | undefined {
  if (has(term, 'Person')) return 'person';
  if (has(term, 'Organization')) return 'organization';
  if (has(term, 'Place')) return 'place';
  return undefined;
}

/** What may follow a sentence's first word when that word is a name: "Cheek, 53,", "Starr, who", "Derwinski, a Republican". */
const APPOSITION_OPENERS = new Set(['who', 'a', 'an', 'the']);

const LOWERCASE_WORD = /^[a-z]+$/;
/** "GRAND", "RAPIDS": a word of three or more capitals. */
const inCapitals = (term: TermJson | undefined) =>
  term !== undefined && /^\p{Lu}{3,}$/u.test(term.text);

/**
 * Whether `term`, at `index` in its sentence, is a name word. `openingKnown`: whether the
 * sentence's first word is named elsewhere in the chunk, which only a first word is judged by.
 */
function isNameTerm(
  term: TermJson,
  index: number,
  openingKnown: boolean,
  next?: TermJson,
): boolean {
  // Most terms: a lowercase word, which none of the tests below takes for a name.
  if (LOWERCASE_WORD.test(term.text)) return false;
  // "Walter R. Mears": an initial, even "A." or "I.".
  if (/^\p{Lu}$/u.test(term.text) && term.post.trim() === '.' && next !== undefined)
    return isCapitalised(next.text);
  // Names are written capitalised or product-like ("neo4j", "iPhone"); pronouns and articles
  // never are names, nor are reference numbers ("PA2904034294").
  if (has(term, 'Pronoun', 'Determiner') || FUNCTION_WORDS.has(term.normal)) return false;
  if (/\d{5,}/.test(term.text)) return false;
  // "GRAND RAPIDS, Mich.": a dateline's words in capitals, whatever the tagger made of them.
  if (index === 0 && inCapitals(term) && inCapitals(next) && term.post.trim() === '') return true;
  if (!(isCapitalised(term.text) || looksLikeProduct(term.text))) return false;
  if (strongType(term) !== undefined) return true;
  // "Redmond, Wash.": a state's short form, whatever the tagger made of it.
  if (index > 0 && isPlaceAbbreviation(term)) return true;
  if (hasAny(term, NAME_BLOCKERS) && !has(term, 'ProperNoun')) return false;
  if (hasAny(term, DATE_OR_VALUE_TAGS)) return false;
  if (looksLikeProduct(term.text)) return true;
  if (has(term, 'ProperNoun', 'Acronym')) return true;
  if (!has(term, 'Noun') || !isCapitalised(term.text)) return false;
  // A capitalised noun opening a sentence is usually just capitalised; accept it only when the
  // same word appears as a name elsewhere in the chunk, is written in capitals (a dateline's
  // "DAYTON, Ohio"), or opens an apposition ("Cheek, 53, is", "Starr, who served").
  if (index > 0 || openingKnown) return true;
  if (next === undefined || term.post.trim() !== ',') return false;
  return (
    /^\p{Lu}{3,}$/u.test(term.text) ||
    isPlaceAbbreviation(next) ||
    /^\d{1,3}$/.test(next.text) ||
    APPOSITION_OPENERS.has(next.normal)
  );
}

function isNameContinuation(term: TermJson): boolean {
  return (
    isCapitalised(term.text) &&
    !/\d{5,}/.test(term.text) &&
    has(term, 'Noun') &&
    !hasAny(term, NOT_CONTINUING_TAGS) &&
    !breaksAfter(term)
  );
}

/**
 * "Virginia Towle of Wallingford", "Andrew Hall of Miami": two or more name words, none of which
 * heads a name that goes on with "of" ("Bank", "Gulf", "Secretary"), before "of" and a person's
 * first word or a place after it: a person and where they are from, not one name.
 */
function personBeforeOf(name: TermJson[], afterOf: TermJson | undefined): boolean {
  if (name.length < 2 || name.some(leadsOf) || afterOf === undefined) return false;
  return has(name[0]!, 'Person') || strongType(afterOf) === 'place' || isKnownPlace(afterOf.text);
}

function spanType(terms: TermJson[]): EntityType {
  for (const term of terms) {
    const type = strongType(term);
    if (type !== undefined) return type;
  }
  return terms.some((term) => looksLikeProduct(term.text) || has(term, 'Value'))
    ? 'product'
    : 'topic';
}

/** A sentence's spans; `openingKnown` as isNameTerm has it. */
function findSpans(text: string, terms: TermJson[], openingKnown: boolean): Span[] {
  const spans: Span[] = [];
  let i = 0;
  while (i < terms.length) {
    const term = terms[i]!;
    const isDate = hasAny(term, DATE_TAGS);
    const isValue = !isDate && hasAny(term, VALUE_TAGS);
    if (isDate || isValue) {
      let j = i + 1;
      while (
        j < terms.length &&
        !breaksAfter(terms[j - 1]!) &&
        hasAny(terms[j]!, isDate ? DATE_GOES_ON_TAGS : VALUE_TAGS)
      )
        j++;
      // "June 4, 2018": the comma inside a date does not end it.
      if (isDate && j < terms.length && has(terms[j]!, 'Year') && terms[j - 1]!.post.trim() === ',')
        j++;
      const spanTerms = terms.slice(i, j);
      spans.push({
        start: i,
        end: j,
        surface: surfaceOf(text, spanTerms, j === terms.length),
        type: isDate ? 'date' : 'value',
      });
      i = j;
      continue;
    }
    if (!isNameTerm(term, i, openingKnown, terms[i + 1])) {
      i++;
      continue;
    }
    // "Satya Nadella" opening a sentence: "Satya" alone was not known as a name, "Nadella" is.
    while (i > (spans.at(-1)?.end ?? 0) && isNameContinuation(terms[i - 1]!)) i--;
    let j = i + 1;
    while (j < terms.length && !breaksAfter(terms[j - 1]!)) {
      const next = terms[j]!;
      const version = /\d/.test(next.text) && has(next, 'Value') && !hasAny(next, NOT_VERSION_TAGS);
      // "University of Paris", "Ludwig van Beethoven": a lowercase particle between two name words.
      // A person's name does not go on with "of": "Brian Michaud of Millinocket".
      const particle =
        NAME_PARTICLES.has(next.text) &&
        !(
          next.text === 'of' &&
          (strongType(terms[j - 1]!) === 'person' ||
            has(terms[i]!, 'FirstName') ||
            personBeforeOf(terms.slice(i, j), terms[j + 1]))
        ) &&
        j + 1 < terms.length &&
        !breaksAfter(next) &&
        isNameTerm(terms[j + 1]!, j + 1, openingKnown, terms[j + 2]);
      // "Martin Luther King III", "Sammy Davis Jr.".
      const generation = /^(II|III|IV|Jr|Sr)$/.test(next.text);
      if (
        !isNameTerm(next, j, openingKnown, terms[j + 1]) &&
        !version &&
        !particle &&
        !generation &&
        !has(next, 'Abbreviation')
      )
        break;
      j += particle ? 2 : 1;
    }
    // "Neo4j, Inc.": a legal form after a comma still belongs to the name.
    if (
      j < terms.length &&
      terms[j - 1]!.post.trim() === ',' &&
      CORPORATE_FORMS.has(terms[j]!.normal.replace(/\.$/, ''))
    )
      j++;
    const spanTerms = terms.slice(i, j);
    spans.push({
      start: i,
      end: j,
      surface: surfaceOf(text, spanTerms, j === terms.length),
      type: spanType(spanTerms),
    });
    i = j;
  }
  return spans;
}

/** "He", "She", "It", "The company" opening a sentence: how many terms, and whom they may mean. */
function leadingReference(
  terms: TermJson[],
): { length: number; refers: 'person' | 'organization' } | undefined {
  const first = terms[0]?.normal;
  if (first === undefined) return undefined;
  if (PERSON_PRONOUNS.has(first)) return { length: 1, refers: 'person' };
  if (first === 'it') return { length: 1, refers: 'organization' };
  if (first === 'the' && ORGANIZATION_NOUNS.has(terms[1]?.normal ?? ''))
    return { length: 2, refers: 'organization' };
  return undefined;
}

/**
 * A tagger may keep "Acme Corp. She left." as one sentence (an abbreviation's period is not an
 * end); a capitalised pronoun or article after such a period starts a new one.
 */
function splitSentences(text: string, parsed: SentenceJson[]): SentenceJson[] {
  const out: SentenceJson[] = [];
  for (const { terms: tagged } of parsed) {
    const sentence = { terms: foldPunctuation(tagged) };
    let from = 0;
    for (let i = 1; i <= sentence.terms.length; i++) {
      const previous = sentence.terms[i - 1]!;
      const term = sentence.terms[i];
      const boundary =
        term === undefined ||
        (previous.post.trim().startsWith('.') &&
          isCapitalised(term.text) &&
          (has(term, 'Pronoun', 'Determiner') || FUNCTION_WORDS.has(term.normal)));
      if (!boundary) continue;
      const terms = sentence.terms.slice(from, i);
      const first = terms[0]!;
      const lastTerm = terms[terms.length - 1]!;
      out.push({
        text: text.slice(
          first.offset.start,
          lastTerm.offset.start + lastTerm.offset.length + lastTerm.post.trimEnd().length,
        ),
        terms,
      });
      from = i;
    }
  }
  return out;
}

export function extractChunk(chunk: ChunkText): Extraction {
  return extractTagged(chunk, winkSentences(chunk.text));
}

/** The extraction of a chunk from its sentences' tagged terms (wink-terms.ts's, or compromise's). */
export function extractTagged(chunk: ChunkText, parsed: SentenceJson[]): Extraction {
  const sentences = splitSentences(
    chunk.text,
    parsed.filter((s) => s.terms.length > 0),
  );
  // A first pass learns the chunk's names; the second reads each sentence with all of them.
  // A sentence's spans depend on the names only through whether its first word is one, so a
  // sentence whose first word was named already (or is named nowhere) keeps its first pass's.
  const knownNames = new Set<string>();
  const opening = (sentence: SentenceJson) => sentence.terms[0]!.normal;
  const firstPass = sentences.map((sentence) => {
    const openingKnown = knownNames.has(opening(sentence));
    const spans = findSpans(chunk.text, sentence.terms, openingKnown);
    for (const span of spans) {
      if (span.type !== 'date' && span.type !== 'value')
        for (let i = span.start; i < span.end; i++) knownNames.add(sentence.terms[i]!.normal);
    }
    return { openingKnown, spans };
  });
  const mentions: ExtractedMention[] = [];
  const relations: ExtractedRelation[] = [];
  const retyped = new Map<string, EntityType>();
  // The last person and organisation named, for a sentence that opens with "She" or "The company".
  const last: Partial<Record<'person' | 'organization', Span>> = {};
  for (const [index, sentence] of sentences.entries()) {
    const first = firstPass[index]!;
    const spans = refineSpans(
      chunk.text,
      sentence.terms,
      knownNames.has(opening(sentence)) === first.openingKnown
        ? first.spans
        : findSpans(chunk.text, sentence.terms, true),
      spanType,
    );
    for (const span of spans)
      mentions.push({ surface: span.surface, type: span.type, chunkId: chunk.id });
    const dateSpans = spans.filter((span) => span.type === 'date');
    const sentenceText = sentence.text.trim();
    const add = (subject: Span, predicate: string, object: Span) => {
      const dateSpan = dateSpans.find((span) => span !== object);
      const validAt = dateSpan === undefined ? undefined : parseDate(dateSpan.surface);
      // Only people are born, work, marry: a topic, or a place named like a person's name
      // ("playwright Tennessee Williams was born in"), is a person there.
      const personal = PERSON_PREDICATES.has(normalizePredicate(predicate).key);
      if (
        personal &&
        (subject.type === 'topic' ||
          (subject.type === 'place' &&
            subject.end - subject.start > 1 &&
            !isKnownPlace(subject.surface)))
      )
        retyped.set(subject.surface, 'person');
      relations.push({
        subject: subject.surface,
        subjectType: subject.type,
        object: object.surface,
        objectType: object.type,
        predicate,
        chunkId: chunk.id,
        sentence: sentenceText,
        ...(validAt === undefined ? {} : { validAt }),
      });
    };

    const reference = leadingReference(sentence.terms);
    const antecedent = reference === undefined ? undefined : last[reference.refers];
    if (
      reference !== undefined &&
      antecedent !== undefined &&
      spans[0] !== undefined &&
      spans[0].start >= reference.length
    ) {
      const predicate = predicateOf(sentence.terms.slice(reference.length, spans[0].start));
      if (predicate !== undefined) add(antecedent, predicate, spans[0]);
    }

    const found = verbRelations(sentence.terms, spans);
    const keyOf = (predicate: string) => normalizePredicate(predicate).key;
    const patterns = patternRelations(sentence.terms, spans);
    for (const relation of patterns.relations) {
      // The sentence's shape reads this pair; a verb phrase the graph has no predicate for
      // ("Texas born singer Willie Nelson" → "born singer") is a misreading of the same words.
      for (let i = found.length - 1; i >= 0; i--) {
        const f = found[i]!;
        const samePair =
          (f.subject === relation.subject && f.object === relation.object) ||
          (f.subject === relation.object && f.object === relation.subject);
        if (samePair && !CANONICAL.has(keyOf(f.predicate))) found.splice(i, 1);
      }
      const known = found.some((f) => {
        const { key, inverse } = normalizePredicate(f.predicate);
        const [subject, object] = inverse ? [f.object, f.subject] : [f.subject, f.object];
        return (
          subject === relation.subject && object === relation.object && key === relation.predicate
        );
      });
      if (!known) found.push(relation);
    }
    for (const relation of carryAlongPlaces(found, patterns.located, keyOf))
      add(relation.subject, relation.predicate, relation.object);
    for (const span of spans) {
      const type = retyped.get(span.surface) ?? span.type;
      if (type === 'person' || type === 'organization') last[type] = { ...span, type };
    }
  }
  if (retyped.size === 0) return { mentions, relations };
  const typeOf = (surface: string, type: EntityType) =>
    type === 'topic' || type === 'place' ? (retyped.get(surface) ?? type) : type;
  return {
    mentions: mentions.map((m) => ({ ...m, type: typeOf(m.surface, m.type) })),
    relations: relations.map((r) => ({
      ...r,
      subjectType: typeOf(r.subject, r.subjectType),
      objectType: typeOf(r.object, r.objectType),
    })),
  };
}
