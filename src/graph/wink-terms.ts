// Tagged terms from wink-nlp: its English model's sentences, universal part-of-speech tags,
// lemmas and entities (dates, money, percentages, numbers), read into the shape of compromise's
// JSON that the extractor reads (tagged-terms.ts), with compromise's own tag names. Names are
// typed from compromise's lexicon (people's first and last names, places, organisations,
// honorifics, roles) without running its tagger: a word wink calls a proper noun takes the
// lexicon's noun tags. Tagging this way costs a fraction of compromise's parse (measured in
// docs/performance.md); the extractor's rules stay as they are.
import nlp from 'compromise/two';
import type { Document } from 'wink-nlp';
import type { SentenceJson } from './local-extractor.js';
import { longRuns } from '../domain/long-runs.js';
import { typeNameRuns } from './name-runs.js';
import type { TermJson } from './tagged-terms.js';
import { createWinkReader } from './wink-reader.js';

const wink = createWinkReader();
// wink's `its` helpers are plain functions wink calls with the document's data; none reads `this`.
/* eslint-disable @typescript-eslint/unbound-method */
const {
  pos: itsPos,
  normal: itsNormal,
  precedingSpaces: itsSpaces,
  span: itsSpan,
  type: itsType,
} = wink.its;
// The lemma's declared type asks for the model's add-ons, which readDoc passes itself.
const itsLemma = wink.its.lemma as unknown as typeof itsNormal;
/* eslint-enable @typescript-eslint/unbound-method */

interface CompromiseWorld {
  model: {
    one: {
      lexicon: Record<string, string | string[]>;
      tagSet: Record<string, { parents: string[] } | undefined>;
    };
    /** By suffix length, a suffix's tag ("elist": Actor). */
    two: { suffixPatterns: Array<Record<string, string> | null> };
  };
}
const world = (nlp as unknown as { world(): CompromiseWorld }).world();
const lexicon = world.model.one.lexicon;
const tagSet = world.model.one.tagSet;
const suffixPatterns = world.model.two.suffixPatterns;

/** Guesses kept by word (each tries every ending of the word), up to this many words. */
const MAX_GUESSES_KEPT = 50_000;
const guesses = new Map<string, string | undefined>();

/** compromise's guess from a word's ending, longest first, for a word its lexicon lacks. */
function suffixTag(word: string): string | undefined {
  if (guesses.has(word)) return guesses.get(word);
  let guess: string | undefined;
  for (let n = Math.min(word.length - 1, suffixPatterns.length - 1); n > 0; n--) {
    guess = suffixPatterns[n]?.[word.slice(-n)];
    if (guess !== undefined) break;
  }
  if (guesses.size >= MAX_GUESSES_KEPT) guesses.clear();
  guesses.set(word, guess);
  return guess;
}

/** A lexicon tag with every tag it implies ("MaleName" → Person, FirstName, ProperNoun, Noun…). */
const expanded = new Map<string, string[]>();
function withParents(tag: string): string[] {
  let tags = expanded.get(tag);
  if (tags === undefined) {
    tags = [...new Set([...(tagSet[tag]?.parents ?? []), tag])];
    expanded.set(tag, tags);
  }
  return tags;
}

const NONE: readonly string[] = [];
const lexiconCache = new Map<string, readonly string[]>();
/** The lexicon's tags for a word or phrase, with the tags they imply; none when it has none. */
function lexiconTags(key: string): readonly string[] {
  const entry = lexicon[key];
  if (entry === undefined) return NONE;
  let tags = lexiconCache.get(key);
  if (tags === undefined) {
    tags = [...new Set((Array.isArray(entry) ? entry : [entry]).flatMap(withParents))];
    lexiconCache.set(key, tags);
  }
  return tags;
}

const MODALS = new Set([
  'can',
  'could',
  'will',
  'would',
  'shall',
  'should',
  'may',
  'might',
  'must',
]);
const POSSESSIVE_PRONOUNS = new Set(['my', 'your', 'his', 'her', 'its', 'our', 'their']);
const QUESTION_WORDS = new Set([
  'who',
  'whom',
  'whose',
  'what',
  'which',
  'where',
  'when',
  'why',
  'how',
]);

/** The tense compromise would give a verb, from its form and wink's lemma. */
function tenseOf(normal: string, lemma: string, previous: string | undefined): string {
  if (normal.endsWith('ing')) return 'Gerund';
  if (normal === lemma) {
    return previous === 'to' || (previous !== undefined && MODALS.has(previous))
      ? 'Infinitive'
      : 'PresentTense';
  }
  if (normal.endsWith('s') && (normal === `${lemma}s` || normal === `${lemma}es`))
    return 'PresentTense';
  return 'PastTense';
}

/** A text's tokens as wink gives them, an array a property (the reader's texts as they come). */
interface Tokens {
  value: string[];
  pos: string[];
  /** Lowercase. */
  normal: string[];
  /** Empty but for verbs and auxiliaries. */
  lemma: string[];
  spaces: string[];
}

/** Whether a verb follows within the next few words ("was not quickly acquired"). */
function verbFollows(tokens: Tokens, i: number, end: number): boolean {
  for (let j = i + 1; j <= Math.min(end, i + 3); j++) {
    const pos = tokens.pos[j]!;
    if (pos === 'VERB') return true;
    if (pos !== 'ADV' && pos !== 'PART') return false;
  }
  return false;
}

/** Whether a word starts with a capital letter (ASCII first, then any script). */
function startsUpper(value: string): boolean {
  const c = value.charCodeAt(0);
  if (c < 128) return c >= 65 && c <= 90;
  return /^\p{Lu}/u.test(value);
}

const OPENING_MARKS = new Set(['PUNCT', 'SYM', 'NUM']);

/** Word classes a capitalised word inside a sentence is taken out of: there it is a name. */
const NAMED_WHEN_CAPITALISED = new Set(['NOUN', 'VERB', 'ADJ', 'X']);

function tagsOf(tokens: Tokens, i: number, start: number, end: number): string[] {
  const normal = tokens.normal[i]!;
  const lemma = tokens.lemma[i]!;
  const value = tokens.value[i]!;
  const winkPos = tokens.pos[i]!;
  // "The Associated Press", "Ms. Say", "the Soviet Union": capitalised past the first word.
  const pos =
    i !== start && NAMED_WHEN_CAPITALISED.has(winkPos) && startsUpper(value) ? 'PROPN' : winkPos;
  const previous = i > 0 ? tokens.normal[i - 1]! : undefined;
  const word = normal.endsWith('.') ? normal.slice(0, -1) : normal;
  // Array literals of constant tags share their elements until written to (V8 copies on write):
  // most words' tags then cost no list of their own. Pushing onto an empty list allocated one of
  // 16 slots a word, the extractor's largest allocation.
  let tags: string[];
  switch (pos) {
    case 'PROPN':
    case 'NOUN':
    case 'X': {
      tags = ['Noun'];
      // A word the lexicon lacks, opening a sentence, read by its ending ("Novelist Paul Varga");
      // inside a sentence a capitalised one is a name whatever its ending ("Maria Quist").
      const guessed = lexicon[word] === undefined && i === start ? suffixTag(word) : undefined;
      const known = guessed === undefined ? lexiconTags(word) : withParents(guessed);
      // Only the lexicon's noun readings ("may" is a month and a modal; here it is a noun).
      const nounReadings = known.includes('Noun') || known.includes('Honorific') ? known : NONE;
      // wink calls most capitalised first words proper nouns ("Payments are late"); there a word
      // is a name only as the lexicon knows it, and the extractor's own rules judge the rest.
      // A role is not a name ("the CEO of Microsoft"), unless it titles one (name-runs.ts).
      const named =
        nounReadings.includes('Person') ||
        nounReadings.includes('Place') ||
        nounReadings.includes('Organization');
      const role = !named && nounReadings.includes('Actor');
      if (pos === 'PROPN' && !role && (i !== start || named)) tags.push('ProperNoun');
      for (const tag of nounReadings) if (!tags.includes(tag)) tags.push(tag);
      if (role) return tags;
      break;
    }
    case 'VERB':
      tags = ['Verb', tenseOf(normal, lemma, previous)];
      break;
    case 'AUX':
      if (MODALS.has(normal)) tags = ['Verb', 'Auxiliary', 'Modal'];
      else if (verbFollows(tokens, i, end)) tags = ['Verb', 'Auxiliary'];
      else if (lemma === 'be') tags = ['Verb', 'Copula', tenseOf(normal, lemma, previous)];
      else tags = ['Verb', tenseOf(normal, lemma, previous)];
      break;
    case 'ADJ':
      tags = lexiconTags(word).includes('Demonym') ? ['Adjective', 'Demonym'] : ['Adjective'];
      break;
    case 'ADV':
      tags = ['Adverb'];
      if (normal === 'not' || normal === "n't") tags.push('Negative');
      if (QUESTION_WORDS.has(normal)) tags.push('QuestionWord');
      break;
    case 'ADP':
      tags = ['Preposition'];
      break;
    case 'CCONJ':
    case 'SCONJ':
      tags = QUESTION_WORDS.has(normal) ? ['Conjunction', 'QuestionWord'] : ['Conjunction'];
      break;
    case 'DET':
      tags = QUESTION_WORDS.has(normal) ? ['Determiner', 'QuestionWord'] : ['Determiner'];
      break;
    case 'PRON':
      tags = ['Pronoun'];
      if (POSSESSIVE_PRONOUNS.has(normal)) tags.push('Possessive');
      if (QUESTION_WORDS.has(normal)) tags.push('QuestionWord');
      break;
    case 'PART':
      if (normal === 'not') tags = ['Negative'];
      else if (normal === 'to') tags = ['Preposition'];
      else tags = ['Particle'];
      break;
    case 'NUM':
      tags = ['Value', 'Cardinal'];
      break;
    case 'INTJ':
      tags = ['Expression'];
      break;
    default:
      tags = [];
  }
  if (value.length > 1 && startsUpper(value)) {
    if (/^\p{Lu}+$/u.test(value) || /^(?:\p{Lu}\.){2,}$/u.test(value)) tags.push('Acronym');
  }
  if (
    value.length > 2 &&
    value.endsWith('.') &&
    /\p{L}\.$/u.test(value) &&
    !tags.includes('Abbreviation')
  )
    tags.push('Abbreviation');
  return tags;
}

const DATE_WORDS = new Set(['Month', 'WeekDay']);

/** Tags an entity adds to each of its tokens (wink's dates, money, percentages and numbers). */
function entityTags(type: string, value: string, normal: string): string[] {
  switch (type) {
    case 'DATE':
    case 'TIME': {
      const tags = ['Date'];
      for (const tag of lexiconTags(normal)) if (DATE_WORDS.has(tag)) tags.push(tag);
      if (/^\d{4}$/u.test(value)) tags.push('Year');
      return tags;
    }
    case 'MONEY':
      return ['Money', 'Value'];
    case 'PERCENT':
      return ['Percent', 'Value'];
    case 'CARDINAL':
      return ['Value'];
    case 'ORDINAL':
      // "21st" is a value; "first" orders ("the first mayor", "First, add"), never a name.
      return /\d/u.test(value) ? ['Value'] : ['Ordinal', 'Adjective'];
    default:
      return [];
  }
}

/** Tags of the longest phrase of two or three words the lexicon holds ("new york": Region). */
function applyPhrases(tokens: Tokens, tags: string[][], from: number, to: number): void {
  const { pos } = tokens;
  for (let i = from; i < to; i++) {
    if (pos[i] !== 'PROPN' || pos[i + 1] !== 'PROPN') continue;
    for (const length of [3, 2]) {
      if (i + length - 1 > to) continue;
      if (!pos.slice(i, i + length).every((tag) => tag === 'PROPN')) continue;
      const known = lexiconTags(tokens.normal.slice(i, i + length).join(' '));
      if (!known.includes('Noun')) continue;
      for (let j = i; j < i + length; j++) {
        const termTags = tags[j - from]!;
        for (const tag of known) if (!termTags.includes(tag)) termTags.push(tag);
      }
      break;
    }
  }
}

/**
 * "O'Brien", "Bin-Nun": wink splits a name at an apostrophe or hyphen written without spaces;
 * compromise keeps it one word, and so does the extractor.
 */
function joinNameParts(terms: TermJson[]): void {
  for (let k = terms.length - 3; k >= 0; k--) {
    // A join below shortens the list: the term after a joined one may be gone.
    const head = terms[k]!;
    const joint = terms[k + 1]!;
    const tail = terms[k + 2];
    if (tail === undefined) continue;
    // Written together: nothing between the three, not even a character wink leaves out ("\f").
    const together =
      head.post === '' &&
      joint.post === '' &&
      joint.offset.start === head.offset.start + head.offset.length &&
      tail.offset.start === joint.offset.start + joint.offset.length;
    if (!together) continue;
    const apostrophe = /^['’]$/u.test(joint.text) && /^\p{Lu}$/u.test(head.text);
    const hyphen = joint.text === '-' && startsUpper(head.text);
    if (!(apostrophe || hyphen)) continue;
    if (!startsUpper(tail.text)) continue;
    const tags = [...head.tags];
    for (const tag of tail.tags) if (!tags.includes(tag)) tags.push(tag);
    terms.splice(k, 3, {
      ...head,
      text: `${head.text}${joint.text}${tail.text}`,
      normal: `${head.normal}${joint.text}${tail.normal}`,
      post: tail.post,
      tags: tags.includes('ProperNoun') ? tags : [...tags, 'ProperNoun'],
      offset: {
        start: head.offset.start,
        length: tail.offset.start + tail.offset.length - head.offset.start,
      },
    });
  }
}

/** A run longer than this without a space is no name, date or value: base64, a data URI, a long URL. */
const MAX_RUN_CHARS = 99;

/**
 * `text` with each very long run of non-space characters blanked to spaces of the same length,
 * so offsets stay the text's: wink's tokeniser takes time growing with the square of a token's
 * length (32k characters of base64: 4.3 s), and such a run tags as nothing the extractor keeps.
 */
function maskLongRuns(text: string): string {
  let masked = '';
  let last = 0;
  for (const [start, end] of longRuns(text, MAX_RUN_CHARS, { codePoints: true })) {
    masked += `${text.slice(last, start)}${' '.repeat(end - start)}`;
    last = end;
  }
  return last === 0 ? text : `${masked}${text.slice(last)}`;
}

/** wink reads "I'm", "I'd" as one proper noun; it is the pronoun. */
function isIContraction(value: string): boolean {
  return (
    value.length <= 4 && (value.charCodeAt(0) | 32) === 105 && /^i['’](?:m|d|ll|ve)$/iu.test(value)
  );
}

/** "'s", "’s": a possessive. */
function isPossessive(value: string): boolean {
  return value.length === 2 && /^['’]s$/u.test(value);
}

/** A document's tokens (`value`: their texts, as the reader gives them), with the fixes the extractor needs. */
function tokensOf(doc: Document, value: string[]): Tokens {
  const all = doc.tokens();
  const pos = all.out(itsPos);
  const normal = all.out(itsNormal);
  // A lemma only where one is read (a verb's tense, "be"): lemmatising every token cost a
  // twentieth of the tagging.
  const lemma = pos.map((tag, i) =>
    tag === 'VERB' || tag === 'AUX' ? all.itemAt(i).out(itsLemma) : '',
  );
  for (let i = 0; i < value.length; i++) {
    if (isIContraction(value[i]!)) pos[i] = 'PRON';
    // wink keeps some names' capitals in its normal form ("Steve"); compromise's is lowercase.
    normal[i] = normal[i]!.toLowerCase();
  }
  return { value, pos, normal, lemma, spaces: all.out(itsSpaces) };
}

/** `text` as sentences of tagged terms, in the shape the extractor reads. */
export function winkSentences(text: string): SentenceJson[] {
  const { doc, values: read } = wink.readDoc(maskLongRuns(text));
  const tokens = tokensOf(doc, read);
  const { value, pos, normal, spaces } = tokens;
  const count = value.length;
  // Where each token starts: after its preceding spaces, as wink gives them, unless wink left a
  // character out of both (a form feed, U+2028, U+3000, a BOM…): then where its text is next.
  const starts: number[] = new Array<number>(count);
  let at = 0;
  for (let i = 0; i < count; i++) {
    const expected = at + spaces[i]!.length;
    const start = text.startsWith(value[i]!, expected)
      ? expected
      : Math.max(expected, text.indexOf(value[i]!, at));
    starts[i] = start;
    at = start + value[i]!.length;
  }
  // Spans and types read as lists: an item of wink's for each entity and sentence (its methods
  // made anew for each) allocated a tenth as much as the rest of the tagging.
  const entityTagsAt = new Map<number, string[]>();
  const entities = doc.entities();
  const entitySpans = entities.out(itsSpan) as unknown as Array<[number, number]>;
  const entityTypes = entities.out(itsType);
  for (const [e, [from, to]] of entitySpans.entries()) {
    const type = entityTypes[e]!;
    for (let i = from; i <= to; i++) {
      const added = entityTags(type, value[i]!, normal[i]!);
      if (added.length > 0) entityTagsAt.set(i, added);
    }
  }
  const sentences: SentenceJson[] = [];
  for (const [from, to] of doc.sentences().out(itsSpan) as unknown as Array<[number, number]>) {
    // The sentence's first word, past any opening quote, bracket, list number or markup.
    let opening = from;
    while (opening < to && OPENING_MARKS.has(pos[opening]!)) opening++;
    const tags: string[][] = [];
    for (let i = from; i <= to; i++) tags.push(tagsOf(tokens, i, opening, to));
    applyPhrases(tokens, tags, from, to);
    const terms: TermJson[] = [];
    // A currency sign written against its number ("$26.2"), carried into the number's term.
    let sign: { text: string; start: number } | undefined;
    for (let i = from; i <= to; i++) {
      const word = value[i]!;
      const tag = pos[i]!;
      // The next token of the sentence, if any.
      const next = i < to && i + 1 < count ? i + 1 : -1;
      if (
        tag === 'SYM' &&
        next !== -1 &&
        spaces[next] === '' &&
        pos[next] === 'NUM' &&
        /^\p{Sc}$/u.test(word)
      ) {
        sign = { text: word, start: starts[i]! };
        continue;
      }
      const post = next === -1 ? '' : spaces[next]!;
      const previous = terms[terms.length - 1];
      // "Japan's": the possessive is punctuation after its owner, as the extractor reads it.
      if (tag === 'PART' && previous !== undefined && isPossessive(word)) {
        previous.post = `${previous.post}${word}${post}`;
        continue;
      }
      let termTags = tags[i - from]!;
      const dated = entityTagsAt.get(i);
      if (dated !== undefined) {
        // A date's words are dates, not names ("January", "Monday").
        if (dated.includes('Date') || dated.includes('Ordinal'))
          termTags = termTags.filter((t) => t !== 'ProperNoun');
        for (const added of dated) if (!termTags.includes(added)) termTags.push(added);
      }
      // "Mr.", "Wash.", "R.": the period is punctuation after the word, as compromise has it.
      const abbreviated =
        word.length > 1 &&
        word.endsWith('.') &&
        !(next !== -1 && pos[next] === 'PART' && isPossessive(value[next]!)) &&
        /\p{L}\.$/u.test(word) &&
        !/^(?:\p{L}\.){2,}$/u.test(word);
      const kept = abbreviated ? word.slice(0, -1) : word;
      const textOf = sign === undefined ? kept : `${sign.text}${kept}`;
      const start = sign?.start ?? starts[i]!;
      sign = undefined;
      const termNormal = normal[i]!;
      terms.push({
        text: textOf,
        post: abbreviated ? `.${post}` : post,
        normal:
          tag === 'PUNCT' || tag === 'SYM' || !termNormal.endsWith('.')
            ? termNormal
            : termNormal.slice(0, -1),
        tags: termTags,
        offset: { start, length: textOf.length },
      });
    }
    joinNameParts(terms);
    typeNameRuns(terms);
    const first = terms[0];
    const last = terms[terms.length - 1];
    if (first === undefined || last === undefined) continue;
    sentences.push({
      text: text.slice(first.offset.start, last.offset.start + last.offset.length),
      terms,
    });
  }
  return sentences;
}
