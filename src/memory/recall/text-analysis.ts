// Query and memory text analysis for re-ranking: lower-casing, word splitting, English stopwords
// and Porter stemming. General English only: nothing here knows about any data set.
import { porterStem } from './porter-stemmer.js';

// The classic English stopword set (SMART/Snowball core) plus question words and
// conversational fillers that carry no topic.
const STOPWORDS = new Set(
  (
    'a about above after again against all am an and any are as at be because been before being below ' +
    'between both but by can could did do does doing down during each few for from further had has have ' +
    'having he her here hers herself him himself his how i if in into is it its itself just me more most my ' +
    'myself no nor not now of off on once only or other our ours ourselves out over own same she should so ' +
    'some such than that the their theirs them themselves then there these they this those through to too ' +
    'under until up very was we were what when where which while who whom why will with would you your ' +
    'yours yourself yourselves also yet ever ' +
    "s t d ll m re ve don't isn't wasn't aren't weren't i'm i've i'd i'll you're you've it's that's " +
    'oh hey hi wow yeah yes ok okay really thanks thank lol gonna wanna got get gets getting ' +
    'much many might may must shall let lets like kind sort thing things something anything'
  ).split(/\s+/),
);

/** Words of a text, lower-cased, possessives dropped ("Caroline's" → "caroline"). */
export function words(text: string): string[] {
  const out: string[] = [];
  const re = /[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu;
  for (const m of text.toLowerCase().matchAll(re)) {
    let w = m[0].replace(/’/g, "'");
    if (w.endsWith("'s")) w = w.slice(0, -2);
    out.push(w);
  }
  return out;
}

export function isStopword(word: string): boolean {
  return STOPWORDS.has(word);
}

const stemCache = new Map<string, string>();

export function stem(word: string): string {
  let s = stemCache.get(word);
  if (s === undefined) {
    s = porterStem(word);
    if (stemCache.size < 200_000) stemCache.set(word, s);
  }
  return s;
}

/** Content terms: words minus stopwords, stemmed. Order and repeats kept (term frequency). */
export function terms(text: string): string[] {
  const out: string[] = [];
  for (const w of words(text)) {
    if (w.length < 2 && !/\d/.test(w)) continue;
    if (STOPWORDS.has(w)) continue;
    out.push(stem(w.replace(/'/g, '')));
  }
  return out;
}
