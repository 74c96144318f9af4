// Entity typing from the form of a name and the words around it, for names the tagger leaves
// untyped or types wrongly: a head noun ("Acme Corp", "Labour Party", "Hudson River"), a leading
// "University of", an acronym, a postal abbreviation ("Calif.", "S.C."), a title ("Gov. James
// Thompson"), an age ("Ferraro, 50,"), a preposition ("in Aiken"). General knowledge of how
// English names things, no list of the names themselves beyond countries' and states' short forms.
import type { EntityType } from '../ports/extractor.js';
import { isKnownCountry, isKnownPlace } from './gazetteer.js';
import { has, isCapitalised, type TermJson } from './tagged-terms.js';

const words = (list: string) => new Set(list.split(/\s+/).filter((w) => w.length > 0));

/** Last words of organisation names. */
const ORGANIZATION_HEADS = words(`
  inc incorporated corp corporation co company cos ltd limited llc llp plc gmbh ag nv bv sa spa
  group holdings industries enterprises properties partners associates brothers bros
  bank bancorp agency party university college institute institution school academy seminary
  ministry department commission committee council association union federation league society
  foundation fund trust organization organisation bureau office administration authority board
  court congress parliament senate assembly army navy forces force police guard corps militia
  church club team network press times post news journal herald tribune gazette magazine
  television tv radio broadcasting studios pictures records airlines airways railways railroad
  motors systems technologies technology laboratories labs services service front movement
  alliance coalition cooperative exchange museum theatre theater orchestra hospital clinic
  government regime cabinet ministries commissions agencies unions parties
`);
/** First words of organisation names followed by "of": "University of Texas", "Bank of Japan". */
const ORGANIZATION_LEADS = words(`
  university bank ministry department institute college council office bureau board church court
  academy school commission federation league association society museum
`);
/** Last words of place names. */
const PLACE_HEADS = words(`
  city county province district region prefecture river lake mountain mountains mount island
  islands isle valley bay gulf sea ocean street avenue road boulevard square park canal channel
  peninsula desert coast strait straits territory territories village town township heights falls
  beach harbor harbour republic kingdom emirates
`);
/** First words of place names followed by "of": "Gulf of Mexico", "Republic of Korea". */
const PLACE_LEADS = words(`gulf bay republic kingdom state city province isle sea strait county`);
/** "Lake Geneva", "Mount Everest", "Port Said". */
const PLACE_PREFIXES = words(`lake mount mt fort ft port cape`);
/**
 * Short forms of countries and of US states and Canadian provinces as news writes them
 * ("Aiken, S.C.", "Chisholm, Minn."), lower case without periods. Written with a period or in
 * capitals, never a plain word ("La Valette").
 */
const PLACE_ABBREVIATIONS = words(`
  us usa uk ussr uae prc dc
  ala ariz ark calif colo conn del fla ga ill ind kan kans ky la md mass mich minn miss mo mont
  neb nev nh nj nm ny nc nd okla ore pa ri sc sd tenn tex vt va wash wva wis wyo alta bc ont que
`);
/** Titles and roles written before a person's name ("Gov.", "President", "historian"). */
const TITLES = words(`
  president vice gov governor sen senator rep representative congressman congresswoman gen general
  adm admiral col colonel maj capt captain lt lieutenant sgt sergeant cmdr commander cpl corporal
  pvt private judge justice ambassador minister secretary chancellor premier prime king queen
  prince princess pope cardinal bishop archbishop rev reverend father mayor chairman chairwoman
  chief director professor prof dean sheriff officer inspector detective deputy attorney coach
  leader speaker spokesman spokeswoman emperor empress czar tsar ayatollah sheik sheikh sultan
  ceo cfo coo chair founder owner president-elect commissioner superintendent trooper
`);
/** Titles that are part of how a person is named ("President Lincoln", "Prince Charles"), kept in the name. */
const NAME_TITLES = words(
  `president king queen prince princess pope emperor empress czar tsar sultan`,
);
/** Institutions named by one word: "Congress", "the Senate". */
const SINGLE_WORD_ORGANIZATIONS = words(`congress senate parliament army navy police`);
/** Nouns that introduce an organisation's name: "the copper company Codelco", "the state oil monopoly, Pemex". */
const ORGANIZATION_NOUNS = words(`
  company firm agency newspaper airline bank network party union manufacturer maker retailer
  carrier monopoly group station broadcaster conglomerate subsidiary
`);
const SPEECH_VERBS = words(`said says told added`);
/** Honorifics that are part of how a name is written ("Ms. Carpenter"), kept in the name. */
const HONORIFICS = words(`mr mrs ms miss dr sir dame`);
const PLACE_PREPOSITIONS = words(
  `in from near outside into across throughout toward towards through via around`,
);
/** Nouns after which "of X" names a place: "the town of Lowman", "a native of Chisholm". */
const PLACE_OF_NOUNS = words(`
  town city village state province capital suburb county region port island native resident
  outskirts
`);

/** "in Spanish", "in Arabic": one word shaped like a language or a people's name, and no known place. */
function languageLike(name: TermJson[]): boolean {
  return (
    name.length === 1 && /(ish|ese|ic|ian)$/.test(name[0]!.normal) && !isKnownPlace(name[0]!.text)
  );
}

const bare = (term: TermJson) => term.normal.replace(/\.$/, '').replace(/\./g, '');

export function isTitle(term: TermJson): boolean {
  const word = bare(term);
  if (HONORIFICS.has(word)) return false;
  return TITLES.has(word) || (has(term, 'Honorific') && isCapitalised(term.text));
}

/** A role noun before a name: a title, or a word the tagger knows names a person ("historian", "diver"). */
export function isRoleNoun(term: TermJson): boolean {
  return isTitle(term) || (has(term, 'Actor') && !has(term, 'ProperNoun', 'Pronoun'));
}

/** "Composer Thomas": capitalised at the head of a sentence, a role noun still reads as one by its agent suffix. */
function isLeadingRole(term: TermJson): boolean {
  if (isRoleNoun(term)) return true;
  return (
    has(term, 'Actor') &&
    !has(term, 'FirstName', 'LastName') &&
    /(er|or|ist|ian|man|woman|wright)$/.test(term.normal)
  );
}

export function isPlaceAbbreviation(term: TermJson): boolean {
  const word = bare(term);
  if (!PLACE_ABBREVIATIONS.has(word)) return false;
  const dotted = term.text.includes('.') || term.post.trim().startsWith('.');
  const capitals = /^\p{Lu}{2,}$/u.test(term.text);
  return dotted || capitals;
}

/** Time zones look like acronyms ("0400 GMT") and name no organisation. */
const TIME_ZONES = words(`gmt utc est edt cst cdt mst mdt pst pdt cet cest bst ist jst`);

/** "NASA", "AP", "U.N.": capitals only, 2 to 6 letters, periods allowed. */
function isAcronym(term: TermJson): boolean {
  const letters = term.text.replace(/\./g, '');
  return /^\p{Lu}{2,6}$/u.test(letters) && !TIME_ZONES.has(letters.toLowerCase());
}

/** The type a name's own words give it, or undefined when they say nothing. */
export function typeByForm(terms: TermJson[]): EntityType | undefined {
  const first = terms[0]!;
  const last = terms[terms.length - 1]!;
  const ofIndex = terms.findIndex((t) => t.normal === 'of');
  const lead = ofIndex > 0 ? bare(terms[ofIndex - 1]!) : undefined;
  if (terms.length === 1 && isPlaceAbbreviation(first)) return 'place';
  if (isKnownCountry(terms.map((t) => t.text).join(' '))) return 'place';
  if (terms.length > 1 && ORGANIZATION_HEADS.has(bare(last))) return 'organization';
  if (lead !== undefined && ORGANIZATION_LEADS.has(lead)) return 'organization';
  if (terms.length > 1 && PLACE_HEADS.has(bare(last))) return 'place';
  if (lead !== undefined && PLACE_LEADS.has(lead)) return 'place';
  if (terms.length > 1 && PLACE_PREFIXES.has(bare(first))) return 'place';
  // "DAYTON, Ohio", "GRAND RAPIDS, Mich.": a dateline's city in capitals is a place, not an acronym.
  if (
    terms.every((t) => /^\p{Lu}{2,}$/u.test(t.text)) &&
    terms.some((t) => t.text.length > 3) &&
    isKnownPlace(terms.map((t) => t.text).join(' '))
  )
    return 'place';
  if (terms.length === 1 && isAcronym(first) && !has(first, 'Place', 'Person'))
    return 'organization';
  if (terms.length === 1 && SINGLE_WORD_ORGANIZATIONS.has(bare(first))) return 'organization';
  return undefined;
}

/** A wire service's reference code: "PA2904034294", "NC1901223094". */
const REFERENCE_CODE = /^\p{Lu}{2}\d{8,}$/u;

/**
 * After a reference code, how many leading words of a name (one to three) are a known place with
 * more words after them ("Guatemala City Teleonce Television", "Paris AFP"); 0 otherwise.
 */
export function sourceLinePlace(terms: TermJson[], start: number, name: TermJson[]): number {
  const before = terms[start - 1];
  if (before === undefined || !REFERENCE_CODE.test(before.text)) return 0;
  for (let n = Math.min(3, name.length - 1); n >= 1; n--) {
    if (
      !isKnownPlace(
        name
          .slice(0, n)
          .map((t) => t.text)
          .join(' '),
      )
    )
      continue;
    // "Guatemala City", "Kuwait City": the country's name and a place noun name its capital.
    while (n < name.length - 1 && PLACE_HEADS.has(bare(name[n]!))) n++;
    return n;
  }
  return 0;
}

/** "U.S. Congress", "U.N. Security Council": a country's short form before an institution. */
export function leadingPlace(terms: TermJson[]): boolean {
  return (
    terms.length > 1 &&
    isPlaceAbbreviation(terms[0]!) &&
    typeByForm(terms.slice(1)) === 'organization'
  );
}

/**
 * How many title or role terms open a name and are not part of it ("Gov. James Thompson" → 1,
 * "Composer Thomas" → 1, "President Lincoln" → 0), keeping at least one name word.
 */
export function leadingTitles(terms: TermJson[]): number {
  let n = 0;
  while (n < terms.length - 1 && isLeadingRole(terms[n]!) && !NAME_TITLES.has(bare(terms[n]!))) n++;
  return n < terms.length && isCapitalised(terms[n]!.text) ? n : 0;
}

/** "President Lincoln", "Prince Norodom Sihanouk": a title that makes the name a person's. */
export function opensWithTitle(terms: TermJson[]): boolean {
  return terms.length > 1 && isTitle(terms[0]!) && isCapitalised(terms[1]!.text);
}

/**
 * Where a title inside a name starts a person's name after another name ("U.S. Ambassador
 * Vernon Walters", "Illinois Gov. James Thompson"): the index of the title, or -1.
 */
export function innerTitle(terms: TermJson[]): number {
  for (let i = 1; i < terms.length - 1; i++) {
    // "Martin Luther King III": a title word followed only by a generation is a surname.
    const generationOnly = i + 2 === terms.length && GENERATIONS.test(terms[i + 1]!.text);
    if (
      isTitle(terms[i]!) &&
      !isTitle(terms[i - 1]!) &&
      isCapitalised(terms[i + 1]!.text) &&
      !generationOnly
    )
      return i;
  }
  return -1;
}

const DETERMINERS = words(`a an the`);
/** "III", "Jr.": a generation closing a person's name. */
export const GENERATIONS = /^(II|III|IV|Jr\.?|Sr\.?)$/;

/** Nouns that head a name going on with "of": "University of Texas", "Gulf of Mexico", "Secretary of State". */
const OF_HEADS = words(`house chamber statue voice people bill sisters brothers order states`);

/**
 * Whether a name may go on with "of" after this word: a word that heads such names, not a
 * person's surname ("Brian Michaud of Millinocket", "Virginia Towle of Wallingford").
 */
export function leadsOf(term: TermJson): boolean {
  const word = bare(term);
  return (
    ORGANIZATION_LEADS.has(word) ||
    ORGANIZATION_HEADS.has(word) ||
    PLACE_LEADS.has(word) ||
    PLACE_HEADS.has(word) ||
    OF_HEADS.has(word) ||
    isTitle(term)
  );
}

/**
 * The type the words around a name impose whatever the tagger thought: "of X" after an age in
 * commas is where a person is from ("Ferraro, 50, of Bethany"); a name in apposition with a role
 * noun is a person's ("Harrington, a professor of", "Kevin O'Brien, a spokesman for").
 */
export function typeByStrongContext(
  terms: TermJson[],
  start: number,
  end: number,
): EntityType | undefined {
  const before = terms[start - 1];
  const twoBefore = terms[start - 2];
  if (
    before?.normal === 'of' &&
    twoBefore !== undefined &&
    /^\d{1,3}$/.test(twoBefore.text) &&
    twoBefore.post.trim() === ','
  )
    return 'place';
  // "playwright Tennessee Williams", "composer Gordon Parks, 76,": a lowercase role noun just
  // before a name, or an age in commas after it, makes it a person's whatever its words suggest.
  const name = terms.slice(start, end);
  const place = isKnownPlace(name.map((t) => t.text).join(' '));
  if (
    !place &&
    before !== undefined &&
    !isCapitalised(before.text) &&
    has(before, 'Actor') &&
    isRoleNoun(before) &&
    before.post.trim() === ''
  )
    return 'person';
  const after = terms[end];
  if (
    !place &&
    terms[end - 1]!.post.trim() === ',' &&
    after !== undefined &&
    /^\d{1,3}$/.test(after.text) &&
    after.post.trim() === ','
  )
    return 'person';
  if (terms[end - 1]!.post.trim() !== ',') return undefined;
  let i = end;
  if (terms[i] !== undefined && DETERMINERS.has(terms[i]!.normal)) i++;
  for (const limit = i + 3; i < limit && i < terms.length; i++) {
    const term = terms[i]!;
    // A capitalised word starts another name ("Thailand, Prince Ranariddh"), not an apposition.
    if (isCapitalised(term.text)) return undefined;
    if (isRoleNoun(term) && has(term, 'Actor', 'Honorific')) return 'person';
    if (!has(term, 'Adjective', 'Noun') || term.post.trim() !== '') return undefined;
  }
  return undefined;
}

/**
 * The type the words around an untyped name suggest: a role noun or title before it or an age
 * after it, or "born" before it (person); a locative preposition, or "of" after a place noun, or a postal
 * abbreviation after a comma, or a name in the gazetteer (place); an organisation noun before it
 * ("the copper company Codelco"); a verb of saying next to it (person).
 */
export function typeByContext(
  terms: TermJson[],
  start: number,
  end: number,
): EntityType | undefined {
  const before = terms[start - 1];
  const twoBefore = terms[start - 2];
  const after = terms[end];
  const last = terms[end - 1]!;
  if (before !== undefined && isRoleNoun(before) && before.post.trim() === '') return 'person';
  // "Illinois-born Charlton Heston", "a Berlin born Anna Weber": only people are born.
  if (before !== undefined && /^(-?born)$/.test(before.normal) && before.post.trim() === '')
    return 'person';
  if (
    before !== undefined &&
    ORGANIZATION_NOUNS.has(before.normal) &&
    /^,?$/.test(before.post.trim())
  )
    return 'organization';
  // "said Daniel Urquhart", "Cetin said": whoever speaks is a person ("said Atlanta
  // businessman Neil Estes": not a name that qualifies a role noun after it).
  const qualifies = after !== undefined && last.post.trim() === '' && isRoleNoun(after);
  if (
    !qualifies &&
    before !== undefined &&
    SPEECH_VERBS.has(before.normal) &&
    before.post.trim() === ''
  )
    return 'person';
  if (after !== undefined && SPEECH_VERBS.has(after.normal) && last.post.trim() === '')
    return 'person';
  if (
    isKnownPlace(
      terms
        .slice(start, end)
        .map((t) => t.text)
        .join(' '),
    )
  )
    return 'place';
  // "Ferraro, 50, of Bethany": an age in commas.
  if (last.post.trim() === ',' && after !== undefined && /^\d{1,3}$/.test(after.text))
    return 'person';
  if (last.post.trim() === ',' && after?.normal === 'who') return 'person';
  if (before !== undefined && before.post.trim() === '') {
    const word = before.normal;
    // "in Aiken", not "in Physics": a mass noun is no place.
    const massNoun = terms
      .slice(start, end)
      .some((t) => has(t, 'Uncountable', 'Adjective', 'Demonym'));
    if (PLACE_PREPOSITIONS.has(word) && !massNoun && !languageLike(terms.slice(start, end)))
      return 'place';
    if (word === 'of' && twoBefore !== undefined && PLACE_OF_NOUNS.has(twoBefore.normal))
      return 'place';
  }
  // "Aiken, S.C.": a name followed by a state's or country's short form.
  if (last.post.trim() === ',' && after !== undefined && isPlaceAbbreviation(after)) return 'place';
  return undefined;
}
