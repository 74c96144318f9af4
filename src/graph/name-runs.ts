// Names typed as runs, for terms tagged without compromise's tagger (wink-terms.ts): the ideas
// of compromise's own name passes, over its word lists, on a sentence's terms. A word that names
// an organisation or a place when it ends a capitalised run ("Associated Press", "Ocala National
// Forest") types the run; a title or honorific, a first name or an initial makes a run a person
// ("President Lincoln", "Kevin Smith", "Guy M. Struve").
import nlp from 'compromise/two';
import { has, hasAny, type TermJson } from './tagged-terms.js';

interface CompromiseModel {
  one: { tagSet: Record<string, { parents: string[]; not: string[] } | undefined> };
  two: { orgWords: Record<string, boolean>; placeWords: Record<string, boolean> };
}
const model = (nlp as unknown as { world(): { model: CompromiseModel } }).world().model;
const tagSet = model.one.tagSet;
const { orgWords, placeWords } = model.two;

/** Words that may sit inside a place's name before its place word ("Ocala National Forest"). */
const PLACE_INSIDE = new Set([
  'city',
  'eastern',
  'federal',
  'great',
  'historic',
  'memorial',
  'municipal',
  'national',
  'northern',
  'southern',
  'state',
  'western',
]);
/** Place words that do not reach forward ("Center of Excellence" is not a place of Excellence). */
const NOT_FORWARD = new Set(['center', 'centre', 'way', 'range', 'bar', 'bridge', 'field', 'pit']);
/** Roles written before a person's name as a title ("President Lincoln", "Senator Kerry"). */
const TITLES = new Set([
  'president',
  'senator',
  'governor',
  'mayor',
  'judge',
  'general',
  'colonel',
  'captain',
  'lieutenant',
  'sergeant',
  'chairman',
  'secretary',
  'minister',
  'premier',
  'king',
  'queen',
  'prince',
  'princess',
  'pope',
  'bishop',
  'rev',
  'father',
  'sister',
  'professor',
  'prof',
  'ambassador',
  'chancellor',
  'representative',
  'rep',
  'sen',
  'gov',
]);

type NameType = 'Person' | 'Place' | 'Organization';
/**
 * The most words a run is typed over from one word: no name is longer, and walking back through
 * a whole capitalised run from each of its words took time growing with its square.
 */
const MAX_NAME_TERMS = 8;
const FIRST_NAME_TAGS = new Set(['FirstName', 'MaleName', 'FemaleName']);

/** Gives a term one name type, dropping the tags that type excludes (as compromise's setTag). */
const EXCLUDED = new Map(
  (['Person', 'Place', 'Organization'] as const).map((type) => [
    type,
    new Set(tagSet[type]?.not ?? []),
  ]),
);
function setType(term: TermJson, type: NameType): void {
  const excluded = EXCLUDED.get(type)!;
  const tags = term.tags.filter((tag) => !excluded.has(tag));
  for (const tag of [...(tagSet[type]?.parents ?? []), type])
    if (!tags.includes(tag)) tags.push(tag);
  term.tags = tags;
}

const isTitleCase = (text: string) => /^\p{Lu}[\p{Ll}'’]/u.test(text);
const NAME_TAGS: ReadonlySet<string> = new Set([
  'ProperNoun',
  'Acronym',
  'Organization',
  'Place',
  'Person',
]);
const isName = (term: TermJson | undefined): boolean =>
  term !== undefined && hasAny(term, NAME_TAGS);
const isInitial = (term: TermJson | undefined) =>
  term !== undefined && /^\p{Lu}$/u.test(term.text) && term.post.startsWith('.');
/** A term that ends a run: punctuation after it, other than an initial's or abbreviation's period. */
const endsRun = (term: TermJson) => term.post.trim() !== '' && !term.post.startsWith('.');

/** The run of name terms from `i` forward, within the sentence and its punctuation. */
function runFrom(terms: TermJson[], i: number): number {
  let end = i;
  while (end < terms.length && isName(terms[end]) && (end === i || !endsRun(terms[end - 1]!)))
    end++;
  return end;
}

/**
 * Whether a term may be part of a name a word types: a name, or a capitalised word past the
 * sentence's first ("the report of The Daily Herald"), where capitals are not the sentence's.
 */
function nameLike(terms: TermJson[], j: number, firstWord: number): boolean {
  const term = terms[j]!;
  return isName(term) || (j > firstWord && isTitleCase(term.text));
}

function typeOrganizations(terms: TermJson[], firstWord: number): void {
  terms.forEach((term, i) => {
    if (orgWords[term.normal] !== true || i === 0) return;
    const orgLike = (j: number) =>
      nameLike(terms, j, firstWord) && !has(terms[j]!, 'FirstName', 'Place');
    if (!orgLike(i - 1) || endsRun(terms[i - 1]!)) return;
    setType(term, 'Organization');
    for (let j = i - 1; j >= Math.max(0, i - MAX_NAME_TERMS); j--) {
      if (!orgLike(j) || (j < i - 1 && endsRun(terms[j]!))) break;
      setType(terms[j]!, 'Organization');
    }
  });
}

function typePlaces(terms: TermJson[], firstWord: number): void {
  const placeLike = (j: number): boolean =>
    !has(terms[j]!, 'Organization', 'Possessive') && nameLike(terms, j, firstWord);
  terms.forEach((term, i) => {
    if (placeWords[term.normal] !== true || !isTitleCase(term.text)) return;
    let from = i;
    for (let j = i - 1; j >= Math.max(0, i - MAX_NAME_TERMS); j--) {
      const t = terms[j]!;
      if (endsRun(t)) break;
      if (PLACE_INSIDE.has(t.normal) || placeLike(j)) from = j;
      else break;
    }
    let to = i;
    if (!NOT_FORWARD.has(term.normal) && !endsRun(term)) {
      for (let j = i + 1; j < Math.min(terms.length, i + MAX_NAME_TERMS); j++) {
        const t = terms[j]!;
        if (placeLike(j)) {
          to = j;
          break;
        }
        if ((t.normal !== 'of' && !PLACE_INSIDE.has(t.normal)) || endsRun(t)) break;
      }
    }
    if (from === i && to === i) return;
    // "Palace of Fine Arts": the "of" inside is the place's too, as compromise tags it.
    for (let j = from; j <= to; j++) setType(terms[j]!, 'Place');
  });
}

function typePeople(terms: TermJson[]): void {
  for (let i = 0; i < terms.length; i++) {
    const term = terms[i]!;
    const next = terms[i + 1];
    // "Ms. Carpenter": after an honorific any capitalised word is a name, even a role's.
    const honorific = has(term, 'Honorific');
    const honoured = honorific && next !== undefined && isTitleCase(next.text) && !isName(next);
    if (honoured) next.tags.push('ProperNoun');
    const titled =
      (honorific || (TITLES.has(term.normal) && isTitleCase(term.text))) &&
      !endsRun(term) &&
      isName(next);
    if (titled) {
      setType(term, 'Person');
      term.tags.push('Honorific');
      const end = runFrom(terms, i + 1);
      for (let j = i + 1; j < end; j++)
        if (!has(terms[j]!, 'Organization')) setType(terms[j]!, 'Person');
      i = end - 1;
      continue;
    }
    if (!isName(term) || has(term, 'Organization', 'Place')) continue;
    // "Guy M. Struve" opening a sentence: the capitalised word before an initial is the name's.
    const from =
      isInitial(term) && i > 0 && isTitleCase(terms[i - 1]!.text) && !endsRun(terms[i - 1]!)
        ? i - 1
        : i;
    const end = runFrom(terms, i);
    const run = terms.slice(from, end);
    const personal =
      run.length > 1 &&
      !run.some((t) => has(t, 'Organization', 'Place')) &&
      (has(run[0]!, 'FirstName') ||
        run.slice(0, -1).some((t) => isInitial(t)) ||
        has(run[run.length - 1]!, 'LastName'));
    if (personal) {
      run.forEach((t, k) => {
        setType(t, 'Person');
        // "Paul Allen": a first name after the first word is the last name.
        if (k > 0 && has(t, 'FirstName'))
          t.tags = [...t.tags.filter((tag) => !FIRST_NAME_TAGS.has(tag)), 'LastName'];
      });
    }
    i = Math.max(i, end - 1);
  }
}

/** Types the names of one sentence's terms in place: organisations, places, then people. */
export function typeNameRuns(terms: TermJson[]): void {
  // The sentence's first word, past any opening punctuation: its capital is the sentence's.
  const firstWord = terms.findIndex((t) => /[\p{L}\p{N}]/u.test(t.text));
  typeOrganizations(terms, firstWord);
  typePlaces(terms, firstWord);
  typePeople(terms);
}
