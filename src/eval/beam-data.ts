// Reads BEAM conversations in their authors' layout (see shared/data/beam/README.md): `chat.json`
// (batches of message groups, each batch anchored at a date) and
// `probing_questions/probing_questions.json` (questions keyed by ability, evidence as message ids).
// Only the messages' role, content and time are kept; the generation bookkeeping (the ` ->-> 1,1`
// marker, `index`, `question_type`) is dropped, and answers and rubrics are never read.
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AppError } from '../domain/errors.js';
import { MONTH_NAMES } from '../domain/calendar-words.js';

export interface BeamMessage {
  /** The message's global number in the chat: the evidence key. */
  id: number;
  role: 'user' | 'assistant';
  content: string;
  /** The batch's anchor date plus one minute per message, so messages keep their order. */
  at: Date;
}

export interface BeamBatch {
  index: number;
  anchoredAt: Date;
  messages: BeamMessage[];
}

/** How a question's evidence is grouped; `ids` is every evidence message. */
export interface BeamQuestion {
  ability: string;
  question: string;
  ids: number[];
  /** Knowledge-update questions: the original and the updated statement. */
  original?: number[];
  updated?: number[];
}

export interface BeamConversation {
  name: string;
  batches: BeamBatch[];
  questions: BeamQuestion[];
}

const MARKER = /\s*->->\s*\d+\s*,\s*\d+\s*$/;

/** Parses BEAM's anchors, e.g. `March-15-2024`, as UTC midnight. */
export function parseBeamDate(text: string): Date {
  const m = /^([A-Za-z]+)-(\d{1,2})-(\d{4})$/.exec(text.trim());
  const month = m ? MONTH_NAMES.findIndex((x) => x.toLowerCase() === m[1]!.toLowerCase()) : -1;
  if (!m || month < 0) {
    throw new AppError('VALIDATION_FAILED', `unrecognised BEAM time anchor "${text}"`);
  }
  return new Date(Date.UTC(Number(m[3]), month, Number(m[2])));
}

interface RawMessage {
  id: number;
  role: string;
  content: string;
  time_anchor?: string;
}

interface RawBatch {
  batch_number: number;
  time_anchor?: string | null;
  turns: RawMessage[][];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Message ids in a list, however deeply the release nests them. */
function ids(value: unknown): number[] {
  if (Array.isArray(value))
    return value.flatMap((x) => (Number.isInteger(x) ? [x as number] : ids(x)));
  return [];
}

/** The batch's messages, checked for the fields the evaluation reads. */
function batchMessages(name: string, batch: unknown, at: number): RawMessage[] {
  const where = `${name}: chat.json batch ${at + 1}`;
  if (!isObject(batch)) throw new AppError('VALIDATION_FAILED', `${where} is not an object`);
  const turns = batch['turns'] ?? [];
  if (!Array.isArray(turns))
    throw new AppError('VALIDATION_FAILED', `${where}: "turns" is not a list of message groups`);
  const messages: unknown[] = turns.flat();
  messages.forEach((m, i) => {
    // Only user and assistant messages are kept; others are skipped unread.
    const kept = isObject(m) && (m['role'] === 'user' || m['role'] === 'assistant');
    const problem = !isObject(m)
      ? 'is not an object'
      : kept && !Number.isInteger(m['id'])
        ? `has id ${JSON.stringify(m['id'])}, not a whole number`
        : kept && typeof m['content'] !== 'string'
          ? 'has no "content" text'
          : undefined;
    if (problem !== undefined)
      throw new AppError('VALIDATION_FAILED', `${where}, message ${i + 1} ${problem}`);
  });
  return messages as RawMessage[];
}

export function parseBeamChat(name: string, raw: unknown): BeamBatch[] {
  if (!Array.isArray(raw)) {
    throw new AppError('VALIDATION_FAILED', `${name}: chat.json is not a list of batches`);
  }
  const batches: BeamBatch[] = [];
  let anchor: Date | undefined;
  for (const [at, value] of raw.entries()) {
    const messages = batchMessages(name, value, at);
    const batch = value as RawBatch;
    const anchorText =
      batch.time_anchor ?? messages.find((m) => typeof m.time_anchor === 'string')?.time_anchor;
    if (typeof anchorText === 'string') anchor = parseBeamDate(anchorText);
    // A batch without any anchor continues a day after the previous one.
    const anchoredAt = anchor ?? new Date(Date.UTC(2024, 0, 1));
    batches.push({
      index: batch.batch_number,
      anchoredAt,
      messages: messages
        .filter((m) => (m.role === 'user' || m.role === 'assistant') && m.content.trim() !== '')
        .map((m, i) => ({
          id: m.id,
          role: m.role as 'user' | 'assistant',
          content: m.content.replace(MARKER, ''),
          at: new Date(anchoredAt.getTime() + i * 60_000),
        })),
    });
    anchor = new Date(anchoredAt.getTime() + 86_400_000);
  }
  return batches;
}

export function parseBeamQuestions(raw: unknown): BeamQuestion[] {
  if (!isObject(raw)) throw new AppError('VALIDATION_FAILED', 'probing questions: not an object');
  const out: BeamQuestion[] = [];
  for (const [ability, list] of Object.entries(raw)) {
    if (!Array.isArray(list)) continue;
    for (const q of list as Array<Record<string, unknown>>) {
      if (typeof q['question'] !== 'string') continue;
      const source = q['source_chat_ids'];
      const question: BeamQuestion = { ability, question: q['question'], ids: [] };
      if (isObject(source)) {
        question.ids = [...new Set(Object.values(source).flatMap(ids))];
        if (ability === 'knowledge_update') {
          question.original = ids(source['original_info']);
          question.updated = ids(source['updated_info']);
        }
      } else {
        question.ids = [...new Set(ids(source))];
      }
      out.push(question);
    }
  }
  return out;
}

/** A conversation folder: `DIR/chat.json` and `DIR/probing_questions/probing_questions.json`. */
export async function loadBeamConversation(dir: string): Promise<BeamConversation> {
  const readJson = async (path: string): Promise<unknown> => {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (cause) {
      throw new AppError(
        'VALIDATION_FAILED',
        `${path} cannot be read; a BEAM conversation folder holds chat.json and probing_questions/probing_questions.json`,
        { cause },
      );
    }
    try {
      return JSON.parse(text);
    } catch (cause) {
      throw new AppError('VALIDATION_FAILED', `${path} is not valid JSON`, { cause });
    }
  };
  const name = `beam-${basename(dirname(dir))}-${basename(dir)}`;
  const [chat, questions] = await Promise.all([
    readJson(join(dir, 'chat.json')),
    readJson(join(dir, 'probing_questions', 'probing_questions.json')),
  ]);
  return { name, batches: parseBeamChat(name, chat), questions: parseBeamQuestions(questions) };
}
