// Conversation roles read from the data: who is the user and who the assistant. Agents store
// turns with the chat roles as speakers ("user", "assistant"); a dialogue between people stores
// their names. Recall reads the kind of conversation from its speakers, never from its source,
// and a query's grammatical person from its words: "my sprint", "what did I say" ask about the
// user's own statements; "what did you recommend" about the assistant's.
import { words } from './text-analysis.js';

export type TurnRole = 'user' | 'assistant';

const ASSISTANT_SPEAKERS = new Set(['assistant', 'ai', 'bot', 'chatbot', 'agent', 'model']);
const USER_SPEAKERS = new Set(['user', 'human']);
const FIRST_PERSON = new Set(['i', 'me', 'my', 'mine', 'myself', "i'm", "i've", "i'd", "i'll"]);
const SECOND_PERSON = new Set(['you', 'your', 'yours', 'yourself', "you're", "you've", "you'd"]);

/** The chat role a speaker name stands for; null for a person's name (a dialogue between people). */
export function speakerRole(speaker: string | null): TurnRole | null {
  if (speaker === null) return null;
  const s = speaker.trim().toLowerCase();
  if (ASSISTANT_SPEAKERS.has(s)) return 'assistant';
  if (USER_SPEAKERS.has(s)) return 'user';
  return null;
}

/** Whose statements a query asks about, by its grammatical person. */
export function queryPerson(query: string): { first: boolean; second: boolean } {
  const ws = words(query);
  return {
    first: ws.some((w) => FIRST_PERSON.has(w)),
    second: ws.some((w) => SECOND_PERSON.has(w)),
  };
}
