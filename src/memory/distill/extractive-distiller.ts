// The offline default distiller: keeps the most informative sentences of a window of turns (words
// that recur in the window, names, numbers and dates score high; filler scores low), in their
// original order with their speakers, anchors relative dates to the turn's date, and lists the
// names and numbers of the sentences it dropped, so no entity, date or number is lost.
import { anchorRelativeDates, formatDay } from './relative-dates.js';
import type { DistillTurn, Distiller } from './distiller.js';

const STOP_WORDS = new Set(
  (
    'a about after again all also am an and any are as at be because been before being but by can could did do does ' +
    'doing just for from get got had has have having he her here hers him his how i if in into is it its me more most ' +
    'my no not now of oh on once only or other our out over own really same she so some such than that the their ' +
    'them then there these they this those to too very was we well were what when where which while who whom why ' +
    'will with would yeah yes you your yours wow great thanks thank lol haha hey hi cool awesome nice sure okay ok'
  ).split(' '),
);

export interface ExtractiveOptions {
  /** Share of sentences kept (at least one). */
  keepRatio?: number;
  /** Upper bound on the words of kept sentences. */
  maxWords?: number;
}

interface Sentence {
  index: number;
  speaker: string | null;
  at: number;
  text: string;
  words: string[];
  score: number;
}

export function splitSentences(text: string): string[] {
  return text
    .replace(/\s+/g, ' ')
    .split(/(?<=[.!?])\s+(?=[A-Z0-9"'“(])/)
    .map((sentence) => sentence.trim())
    .filter((sentence) => sentence !== '');
}

function contentWords(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^\p{L}\p{N}']+/u)
    .map((word) => word.replace(/'s$|^'+|'+$/g, ''))
    .filter((word) => word.length > 2 && !STOP_WORDS.has(word));
}

/** Capitalised words not at a sentence start, numbers, and years: the facts worth keeping. */
export function salientTokens(text: string): string[] {
  const found: string[] = [];
  const words = text.split(/\s+/);
  words.forEach((raw, index) => {
    const word = raw.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '').replace(/'s$/, '');
    if (word === '') return;
    const previous = index === 0 ? '' : words[index - 1]!;
    const sentenceStart = index === 0 || /[.!?]$/.test(previous);
    if (/\d/.test(word)) found.push(word);
    else if (
      /^\p{Lu}/u.test(word) &&
      !sentenceStart &&
      word !== 'I' &&
      !STOP_WORDS.has(word.toLowerCase())
    )
      found.push(word);
  });
  return found;
}

export function createExtractiveDistiller(options: ExtractiveOptions = {}): Distiller {
  const keepRatio = options.keepRatio ?? 0.5;
  const maxWords = options.maxWords ?? 120;
  return {
    id: 'extractive-v1',
    async distill(turns: DistillTurn[]): Promise<string[]> {
      if (turns.length === 0) return [];
      const sentences: Sentence[] = [];
      for (const turn of turns) {
        for (const text of splitSentences(turn.text)) {
          sentences.push({
            index: sentences.length,
            speaker: turn.speaker,
            at: turn.occurredAt,
            text,
            words: contentWords(text),
            score: 0,
          });
        }
      }
      const frequency = new Map<string, number>();
      for (const sentence of sentences) {
        for (const word of new Set(sentence.words))
          frequency.set(word, (frequency.get(word) ?? 0) + 1);
      }
      for (const sentence of sentences) {
        const unique = new Set(sentence.words);
        let score = 0;
        for (const word of unique) score += 1 + Math.log(frequency.get(word) ?? 1);
        score += 1.5 * salientTokens(sentence.text).length;
        sentence.score = unique.size === 0 ? 0 : score / Math.sqrt(sentence.words.length + 1);
      }
      const target = Math.max(1, Math.ceil(sentences.length * keepRatio));
      const chosen = new Set<number>();
      let words = 0;
      for (const sentence of [...sentences].sort(
        (a, b) => b.score - a.score || a.index - b.index,
      )) {
        if (chosen.size >= target) break;
        const length = sentence.text.split(/\s+/).length;
        if (chosen.size > 0 && words + length > maxWords) continue;
        chosen.add(sentence.index);
        words += length;
      }
      const kept = sentences.filter((sentence) => chosen.has(sentence.index));
      const parts: string[] = [];
      let lastSpeaker: string | null | undefined;
      for (const sentence of kept) {
        const text = anchorRelativeDates(sentence.text, sentence.at);
        parts.push(
          sentence.speaker !== null && sentence.speaker !== lastSpeaker
            ? `${sentence.speaker}: ${text}`
            : text,
        );
        lastSpeaker = sentence.speaker;
      }
      const keptText = parts.join(' ');
      const dropped = new Set<string>();
      for (const sentence of sentences) {
        if (chosen.has(sentence.index)) continue;
        for (const token of salientTokens(sentence.text))
          if (!keptText.includes(token)) dropped.add(token);
      }
      const first = turns[0]!.occurredAt;
      const last = turns[turns.length - 1]!.occurredAt;
      const when =
        formatDay(first) === formatDay(last)
          ? formatDay(first)
          : `${formatDay(first)} – ${formatDay(last)}`;
      const also =
        dropped.size > 0 ? ` Also mentioned: ${[...dropped].slice(0, 20).join(', ')}.` : '';
      return [`[${when}] ${keptText}${also}`];
    },
  };
}
