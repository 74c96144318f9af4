// Relations read from the shape of a sentence rather than from a verb between two names: an
// appositive or a "for"/"of"/"at" phrase ("Walter Mears, columnist for The Associated Press"), a
// title between two names ("Illinois Gov. James Thompson", "NASA spokesman Ed Campion"), a
// locative phrase ("Drexel Burnham Lambert Inc. in New York", "Brian Michaud of Millinocket"),
// places in commas ("Aiken, S.C."), a news dateline ("BANGKOK, Thailand (AP)"), and a killing
// told by a verb or noun anywhere between two people ("Oswald acted alone in killing Kennedy").
// Each yields a canonical predicate of src/graph/predicates.ts; "lives in" and "is located in"
// then carry along a chain of places ("of Bethany, Conn." → lives in Conn. too).
import { isRoleNoun } from './entity-cues.js';
import type { Span } from './span.js';
import { has, isCapitalised, type TermJson } from './tagged-terms.js';

export interface PatternRelation {
  subject: Span;
  predicate: string;
  object: Span;
}

type Kind = 'person' | 'organization' | 'place';
const KINDS: ReadonlySet<string> = new Set(['person', 'organization', 'place']);

const KILL_VERBS = new Set(['kill', 'assassinate', 'murder', 'slay', 'execute', 'behead']);
const KILL_FORMS = new Set([
  'killed',
  'killing',
  'kills',
  'assassinated',
  'assassinating',
  'murdered',
  'murdering',
  'slew',
  'slain',
  'executed',
  'beheaded',
]);
const KILL_NOUNS = new Set(['assassination', 'murder', 'killing', 'slaying', 'execution']);
const KILLER_NOUNS = new Set(['assassin', 'killer', 'murderer', 'executioner']);

/** Punctuation marks as space-separated tokens, a possessive "'s" as one. */
const punctuation = (post: string) =>
  post
    .trim()
    .replace(/['’]s/gu, '§')
    .split('')
    .filter((c) => !/\s/.test(c))
    .map((c) => (c === '§' ? "'s" : c))
    .join(' ');

/** What lies between two spans as lower-case words and punctuation marks, space separated. */
function gapOf(terms: TermJson[], a: Span, b: Span): string {
  // "Drexel Burnham Lambert Inc. in New York": the abbreviation's period is part of the name.
  const after = punctuation(terms[a.end - 1]!.post);
  const parts = [a.surface.endsWith('.') ? after.replace(/^\. ?/, '') : after];
  for (const term of terms.slice(a.end, b.start)) {
    parts.push(term.normal.replace(/[^\p{L}\p{N}'-]/gu, ''), punctuation(term.post));
  }
  return parts
    .filter((p) => p.length > 0)
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
}

const isVerb = (term: TermJson) =>
  has(term, 'Verb') && !has(term, 'Adjective', 'Noun') && !KILL_FORMS.has(term.normal);

/** "columnist for", "a spokesman for the", "at the", ", vice president of": a role phrase before "of/for/at/with". */
const WORKS_FOR_GAP = /^(, )?((a|an|the) )?([\p{L}-]+ (, )?){0,5}?(of|for|at|with) (the )?$/u;
const LIVES_IN_GAP =
  /^(, )?(\d{1,3} , )?(of|from) $|^, (a|an|the|one of the) ([\p{L}-]+ ){1,3}(from|of|in) $/u;
/** "in", ", based in", ", a", ",", and "of" without an article ("Microsoft Corp. of Redmond"). */
const BASED_IN_GAP = /^(, )?((based|located|headquartered) )?(in|at) $|^, (a|an) $|^, $|^of $/u;
/** ", ", "in", "in central", "in the southeastern part of", "'s" (the second is in the first). */
const PLACE_IN_PLACE_GAP =
  /^, $|^(, )?in ((the )?((north|south|east|west)(ern)?|central|north-?east(ern)?|north-?west(ern)?|south-?east(ern)?|south-?west(ern)?|central) (part |region |corner )?(of )?)?$/u;
/** "-born", "born", "-born actor": a place compounded with "born" before a person, a role between at most. */
const BORN_GAP = /^-? ?born( [\p{L}-]+){0,2}$/u;

function noVerbs(terms: TermJson[], a: Span, b: Span): boolean {
  return !terms.slice(a.end, b.start).some(isVerb);
}

/** One to three role words between two names and nothing else: "commander", "spokesman", "'s chief". */
function roleBetween(terms: TermJson[], a: Span, b: Span): boolean {
  const between = terms.slice(a.end, b.start);
  if (between.length === 0 || between.length > 3) return false;
  if (!/^('s)?$/.test(punctuation(terms[a.end - 1]!.post))) return false;
  const last = between[between.length - 1]!;
  // "Gov. James Thompson": an abbreviation's period is not punctuation here.
  const plain = (t: TermJson) => t.post.trim() === '' || (t.post.trim() === '.' && isRoleNoun(t));
  return (
    between.every(
      (t, i) =>
        (i === between.length - 1 || plain(t)) &&
        !isVerb(t) &&
        (!isCapitalised(t.text) || isRoleNoun(t)) &&
        has(t, 'Noun', 'Adjective', 'Honorific', 'Possessive'),
    ) &&
    plain(last) &&
    (isRoleNoun(last) || has(last, 'Noun'))
  );
}

function killBetween(terms: TermJson[], a: Span, b: Span): 'forward' | 'backward' | undefined {
  const between = terms.slice(a.end, b.start);
  if (between.length > 10) return undefined;
  const verbAt = between.findIndex(
    (t) => KILL_FORMS.has(t.normal) || (has(t, 'Verb') && KILL_VERBS.has(t.normal)),
  );
  if (verbAt >= 0) {
    const passive = between.slice(verbAt + 1).some((t) => t.normal === 'by');
    return passive ? 'backward' : 'forward';
  }
  // "Garfield was shot by Guiteau", "Oswald, who had just been shot by Jack Ruby": a shooting
  // told in the passive, its gunman named.
  const shotAt = between.findIndex((t) => t.normal === 'shot');
  if (shotAt > 0 && COPULAS.has(between[shotAt - 1]!.normal) && between.at(-1)?.normal === 'by')
    return 'backward';
  // "Booth, assassin of Lincoln": the first killed the second.
  const killerAt = between.findIndex((t) => KILLER_NOUNS.has(t.normal));
  if (killerAt >= 0 && between[killerAt + 1]?.normal === 'of' && killerAt + 2 === between.length)
    return 'forward';
  // "King assassin James Earl Ray": the second killed the first.
  const last = between[between.length - 1];
  if (last !== undefined && KILLER_NOUNS.has(last.normal)) return 'backward';
  // "the assassination of Lincoln by Booth".
  if (between.length === 1 && between[0]!.normal === 'by') {
    const before = terms.slice(Math.max(0, a.start - 3), a.start).map((t) => t.normal);
    if (before.some((w) => KILL_NOUNS.has(w))) return 'backward';
  }
  return undefined;
}

export interface SentencePatterns {
  relations: PatternRelation[];
  /** Place pairs read as "first is located in second", for carrying facts along. */
  located: Array<[Span, Span]>;
}

export function patternRelations(terms: TermJson[], spans: Span[]): SentencePatterns {
  const named = spans.filter((s) => KINDS.has(s.type));
  const out: PatternRelation[] = [];
  const add = (subject: Span, predicate: string, object: Span) => {
    if (subject.surface.toLowerCase() === object.surface.toLowerCase()) return;
    if (out.some((r) => r.subject === subject && r.object === object && r.predicate === predicate))
      return;
    out.push({ subject, predicate, object });
  };
  const located: Array<[Span, Span]> = [];
  for (let k = 0; k + 1 < named.length; k++) {
    const a = named[k]!;
    const b = named[k + 1]!;
    const gap = gapOf(terms, a, b);
    const pair = `${a.type}>${b.type}` as `${Kind}>${Kind}`;
    switch (pair) {
      case 'person>organization':
        if (WORKS_FOR_GAP.test(`${gap} `) && noVerbs(terms, a, b)) add(a, 'works at', b);
        // "John Georges, International Paper's chairman".
        if (gap === ',' && possessive(terms, b)) add(a, 'works at', b);
        break;
      case 'organization>person':
        if (roleBetween(terms, a, b) || roleOfBefore(terms, a, gap)) add(b, 'works at', a);
        break;
      case 'person>place':
        if (LIVES_IN_GAP.test(`${gap} `) && noVerbs(terms, a, b)) add(a, 'lives in', b);
        break;
      case 'place>person':
        // "Illinois-born actor Charlton Heston", "Texas born Willie Nelson".
        if (BORN_GAP.test(gap)) add(b, 'was born in', a);
        else if (roleBetween(terms, a, b)) add(b, 'lives in', a);
        break;
      case 'organization>place':
        if (BASED_IN_GAP.test(gap === '' ? '' : `${gap} `) && noVerbs(terms, a, b))
          add(a, 'is headquartered in', b);
        break;
      case 'place>organization':
        // "Moscow-based Acme", "Japan's Sony", "Chicago newspaper Tribune", and a dateline's "Ohio (AP)".
        // And "U.S. Congress", split from one name: the country's institution.
        if (dateline(terms, a, b) || /^(-? ?based|'s|)$/.test(gap) || roleBetween(terms, a, b)) {
          add(b, 'is headquartered in', a);
          if (dateline(terms, a, b)) {
            for (let j = k - 1; j >= 0 && gapOf(terms, named[j]!, named[j + 1]!) === ','; j--)
              if (named[j]!.type === 'place') add(b, 'is headquartered in', named[j]!);
          }
        }
        break;
      case 'place>place':
        if (PLACE_IN_PLACE_GAP.test(`${gap} `) && !(gap === ',' && listAround(terms, named, k))) {
          add(a, 'is located in', b);
          located.push([a, b]);
        } else if (/^'s( capital ,)?$/.test(gap)) {
          // "Beijing's Tiananmen Square", "Bosnia's capital, Sarajevo".
          add(b, 'is located in', a);
          located.push([b, a]);
        }
        break;
      case 'person>person': {
        const kill = killBetween(terms, a, b);
        if (kill === 'forward') add(a, 'killed', b);
        if (kill === 'backward') add(b, 'killed', a);
        break;
      }
      default:
        break;
    }
  }
  for (const [k, subject] of named.entries())
    for (const [predicate, object] of apposition(terms, named, k)) {
      add(subject, predicate, object);
      if (predicate === 'is located in') located.push([subject, object]);
    }
  return { relations: out, located };
}

const COPULAS = new Set(['is', 'was', 'are', 'were', 'be', 'been', 'has', 'had']);

/**
 * What an apposition or a copular phrase after a name says about it (a place "in" another
 * place, an organisation "in" a place, and for a person): "Harrington, a
 * professor of political science at Queens College … and honorary president of the Socialist
 * International," works at both; "Cicippio, 58, was acting comptroller at the American
 * University of Beirut" works there; "Corduwener, a Netherlands businessman" lives in the
 * Netherlands. The phrase ends at a verb or at its closing comma.
 */
function apposition(terms: TermJson[], named: Span[], k: number): Array<[string, Span]> {
  const subject = named[k]!;
  const opens =
    terms[subject.end - 1]!.post.trim().endsWith(',') ||
    COPULAS.has(terms[subject.end]?.normal ?? '');
  if (!opens) return [];
  const out: Array<[string, Span]> = [];
  let commas = 0;
  let previousEnd = subject.end;
  for (let j = k + 1; j < named.length; j++) {
    const other = named[j]!;
    const between = terms.slice(previousEnd, other.start);
    // "was acting comptroller": a gerund before a noun only qualifies it.
    const verb = (t: TermJson, i: number) =>
      isVerb(t) &&
      !COPULAS.has(t.normal) &&
      !(has(t, 'Gerund') && i + 1 < between.length && has(between[i + 1]!, 'Noun'));
    if (between.some(verb)) break;
    // An age in commas ("Cicippio, 58, was") does not close the apposition; another comma does.
    for (const t of between) if (t.post.includes(',') && !/^\d{1,3}$/.test(t.text)) commas++;
    if (commas > 0) break;
    const before = terms[other.start - 1];
    const preposition = before?.normal === 'the' ? terms[other.start - 2] : before;
    const modifiesRole = headsRole(terms, other.end);
    const onlyArticle = between.length === 1 && /^(a|an|the)$/.test(between[0]!.normal);
    const word = preposition?.normal ?? '';
    if (subject.type === 'person' && other.type === 'organization') {
      if (/^(of|for|at|with)$/.test(word) || (onlyArticle && modifiesRole))
        out.push(['works at', other]);
    } else if (subject.type === 'person' && other.type === 'place') {
      if (/^(in|from)$/.test(word) || (onlyArticle && modifiesRole)) out.push(['lives in', other]);
    } else if (subject.type === 'organization' && other.type === 'place') {
      // "Codelco, the state copper company based in Santiago".
      if (/^(in|from)$/.test(word)) out.push(['is headquartered in', other]);
    } else if (subject.type === 'place' && other.type === 'place') {
      // "Madagascar, an island nation in the Indian Ocean".
      if (word === 'in' && !COPULAS.has(terms[subject.end]?.normal ?? ''))
        out.push(['is located in', other]);
    } else break;
    if (terms[other.end - 1]!.post.includes(',')) break;
    previousEnd = other.end;
  }
  return out;
}

/** "University of Texas law professor", "Netherlands businessman": a name qualifying a role noun (up to two nouns on). */
function headsRole(terms: TermJson[], end: number): boolean {
  if (terms[end - 1]!.post.trim() !== '') return false;
  for (let i = end; i < end + 3 && i < terms.length; i++) {
    const term = terms[i]!;
    if (isRoleNoun(term)) return true;
    if (isCapitalised(term.text) || !has(term, 'Noun') || term.post.trim() !== '') return false;
  }
  return false;
}

/** "the deputy secretary of the Foreign Ministry, Datuk Abdul Halim Ali": a role of the organisation before it, then the person. */
function roleOfBefore(terms: TermJson[], organization: Span, gap: string): boolean {
  if (gap !== ',') return false;
  let i = organization.start - 1;
  if (terms[i]?.normal === 'the') i--;
  if (!/^(of|for|at)$/.test(terms[i]?.normal ?? '')) return false;
  const role = terms[i - 1];
  return role !== undefined && isRoleNoun(role);
}

/** An organisation's name followed by "'s". */
function possessive(terms: TermJson[], organization: Span): boolean {
  const last = terms[organization.end - 1]!;
  const next = terms[organization.end];
  return last.post.startsWith("'s") || (next?.normal === 's' && (next.pre ?? '').includes("'"));
}

/** "Ohio (AP)", "Sofia, February 15 (BTA)": a news agency in brackets after its place (and date). */
function dateline(terms: TermJson[], a: Span, b: Span): boolean {
  const between = terms.slice(a.end, b.start);
  const opening = between.length === 0 ? terms[a.end - 1]! : between[between.length - 1]!;
  return (
    opening.post.trim().endsWith('(') &&
    between.every((t) => has(t, 'Date', 'Month', 'Value', 'Cardinal'))
  );
}

/** "Paris, London and Rome" is a list, not a place in a place. */
function listAround(terms: TermJson[], named: Span[], k: number): boolean {
  for (let j = Math.max(0, k - 2); j + 1 < named.length && j <= k + 2; j++) {
    const gap = gapOf(terms, named[j]!, named[j + 1]!);
    if (/^(, )?(and|or)$/.test(gap)) return true;
  }
  return false;
}

const CARRIED = new Set([
  'lives in',
  'is based in',
  'is headquartered in',
  'is located in',
  'was born in',
]);

/**
 * X lives in (is based in, is located in, was born in) A, and A is located in B: X is in B too.
 * `keyOf` gives a relation's canonical predicate.
 */
export function carryAlongPlaces(
  relations: PatternRelation[],
  located: Array<[Span, Span]>,
  keyOf: (predicate: string) => string,
): PatternRelation[] {
  const out = [...relations];
  const seen = new Set(out.map((r) => `${r.subject.start}|${r.predicate}|${r.object.start}`));
  for (let i = 0; i < out.length; i++) {
    const relation = out[i]!;
    if (relation.object.type !== 'place' || !CARRIED.has(keyOf(relation.predicate))) continue;
    for (const [inner, outer] of located) {
      if (inner !== relation.object) continue;
      const key = `${relation.subject.start}|${relation.predicate}|${outer.start}`;
      if (seen.has(key) || outer === relation.subject) continue;
      seen.add(key);
      out.push({ subject: relation.subject, predicate: relation.predicate, object: outer });
    }
  }
  return out;
}
