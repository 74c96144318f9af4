// Reads LoCoMo conversation files (see shared/data/locomo/README.md): only the turns, with each
// session's date, and the question set. The authors' annotations (observations, summaries,
// events) are never read, because an evaluation must not ingest them.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { AppError } from '../domain/errors.js';

export interface LocomoTurn {
  /** e.g. `D3:12`: session 3, turn 12. */
  diaId: string;
  speaker: string;
  /** The turn's text, with a shared photo's caption appended (it is part of what was shared). */
  content: string;
  /** The session's start time, plus one second per turn so turns keep their order. */
  at: Date;
  sessionIndex: number;
}

export interface LocomoSession {
  index: number;
  startedAt: Date;
  turns: LocomoTurn[];
}

export interface LocomoQuestion {
  question: string;
  /** Evidence turn ids; some files pack two in one string (`D8:6; D9:17`), split here. */
  evidence: string[];
  /** 1 multi-hop, 2 temporal, 3 open-domain, 4 single-hop, 5 adversarial. */
  category: number;
}

export interface LocomoConversation {
  name: string;
  speakers: [string, string];
  sessions: LocomoSession[];
  questions: LocomoQuestion[];
}

const MONTHS: Record<string, number> = {
  january: 0,
  february: 1,
  march: 2,
  april: 3,
  may: 4,
  june: 5,
  july: 6,
  august: 7,
  september: 8,
  october: 9,
  november: 10,
  december: 11,
};

/** Parses LoCoMo's session dates, e.g. `1:56 pm on 8 May, 2023`, as UTC. */
export function parseLocomoDate(text: string): Date {
  const m = /^(\d{1,2}):(\d{2})\s*(am|pm)\s+on\s+(\d{1,2})\s+([A-Za-z]+),?\s+(\d{4})$/i.exec(
    text.trim(),
  );
  const month = m ? MONTHS[m[5]!.toLowerCase()] : undefined;
  if (!m || month === undefined) {
    throw new AppError('VALIDATION_FAILED', `unrecognised LoCoMo session date "${text}"`);
  }
  let hour = Number(m[1]) % 12;
  if (m[3]!.toLowerCase() === 'pm') hour += 12;
  return new Date(Date.UTC(Number(m[6]), month, Number(m[4]), hour, Number(m[2])));
}

interface RawTurn {
  speaker: string;
  dia_id: string;
  text: string;
  blip_caption?: string;
}

interface RawQa {
  question: string;
  evidence?: string[];
  category: number;
}

export function parseLocomo(name: string, raw: unknown): LocomoConversation {
  if (typeof raw !== 'object' || raw === null) {
    throw new AppError('VALIDATION_FAILED', `${name}: not a LoCoMo conversation object`);
  }
  const record = raw as Record<string, unknown>;
  // Some releases nest the sessions under `conversation`.
  const conv = (
    typeof record['conversation'] === 'object' && record['conversation'] !== null
      ? record['conversation']
      : record
  ) as Record<string, unknown>;
  const textOr = (v: unknown, fallback: string): string => (typeof v === 'string' ? v : fallback);
  const speakers: [string, string] = [
    textOr(conv['speaker_a'], 'A'),
    textOr(conv['speaker_b'], 'B'),
  ];
  const sessions: LocomoSession[] = [];
  for (const key of Object.keys(conv)) {
    const m = /^session_(\d+)$/.exec(key);
    if (!m) continue;
    const index = Number(m[1]);
    const dateText = conv[`session_${index}_date_time`];
    if (typeof dateText !== 'string') continue;
    const startedAt = parseLocomoDate(dateText);
    const rawTurns = (conv[key] ?? []) as RawTurn[];
    const turns = rawTurns.map((t, i) => ({
      diaId: t.dia_id,
      speaker: t.speaker,
      content: t.blip_caption ? `${t.text} [shares a photo: ${t.blip_caption}]` : t.text,
      at: new Date(startedAt.getTime() + i * 1000),
      sessionIndex: index,
    }));
    sessions.push({ index, startedAt, turns });
  }
  sessions.sort((a, b) => a.index - b.index);
  const qa = (record['qa'] ?? []) as RawQa[];
  const questions = qa.map((q) => ({
    question: q.question,
    evidence: (q.evidence ?? [])
      .flatMap((e) => e.split(/[;,]/))
      .map((e) => e.trim())
      .filter((e) => e.length > 0),
    category: q.category,
  }));
  return { name, speakers, sessions, questions };
}

export async function loadLocomoFile(path: string): Promise<LocomoConversation> {
  const text = await readFile(path, 'utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new AppError('VALIDATION_FAILED', `${path} is not valid JSON`, { cause });
  }
  return parseLocomo(basename(path).replace(/\.json$/, ''), raw);
}
