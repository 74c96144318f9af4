// wink-nlp's documents, read by an instance replaced before what it has learnt grows past a
// bound. wink keeps every word it has not met before (a number, an id, a hash, a misspelling) in
// its lexicon for good, with its lowercase form and any new shape, suffix or prefix: 160 to 640
// bytes a word. One instance grew by about 140 MB over 200,000 short texts of four new words
// (`bench/lab/wink-growth.ts`), without end; through this reader the heap stayed within 31 MB.
// A new instance starts from the model's own lexicon (about 130 ms to make); words are counted
// as they are first met, so a text of known words costs a set look-up a token. What an instance
// has met also changes how it splits a few words: "Newton's" is two tokens until the instance has
// kept it whole once (15 of BEAM's 10,080 messages read differently in reverse order, their
// extraction the same), so a new instance reads as the first one did, not as its predecessor.
import winkNLP, { type Document, type ItsHelpers } from 'wink-nlp';
import model from 'wink-eng-lite-web-model';

/** New words an instance may learn before it is replaced: some tens of MB, by the words. */
export const MAX_LEARNT_WORDS = 100_000;

export interface WinkReader {
  /** `text` read by the current instance (which may be a new one), and its tokens' texts. */
  readDoc(text: string): { doc: Document; values: string[] };
  /** wink's property readers, the same for every instance. */
  its: ItsHelpers;
  /** Instances made so far (1 at the start), and the new words the current one has learnt. */
  stats(): { instances: number; learntWords: number };
}

/**
 * The model with its custom-entity meta-model read once: the model's loader escapes its module's
 * copy of that JSON again at every call (`machines = JSON.stringify(machines)`), so the string
 * doubled with each instance made and the 21st instance threw `Invalid string length`. Engram
 * does not learn custom entities, which is all wink reads it for. (The declared types leave the
 * model's parts `unknown`: they are its loaders.)
 */
const cerMetaModel: unknown = (model.metaCER as () => unknown)();
const stableModel: typeof model = { ...model, metaCER: () => cerMetaModel };

export function createWinkReader(maxLearntWords = MAX_LEARNT_WORDS): WinkReader {
  const make = () => winkNLP(stableModel, ['sbd', 'pos', 'ner']);
  let wink = make();
  let instances = 1;
  // Every distinct token text the current instance has read (known words are bounded by its
  // model's lexicon; new ones by `maxLearntWords`), and how many of them were new to it.
  const seen = new Set<string>();
  let learntWords = 0;
  return {
    readDoc(text) {
      if (learntWords >= maxLearntWords) {
        wink = make();
        instances++;
        seen.clear();
        learntWords = 0;
      }
      const doc = wink.readDoc(text);
      // wink's `its` helpers are plain functions wink calls with the document's data.
      // eslint-disable-next-line @typescript-eslint/unbound-method
      const values = doc.tokens().out(wink.its.value);
      for (const value of values) {
        if (seen.has(value)) continue;
        seen.add(value);
        if (doc.isOOV(value)) learntWords++;
      }
      return { doc, values };
    },
    its: wink.its,
    stats: () => ({ instances, learntWords }),
  };
}
