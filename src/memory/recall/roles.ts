// Conversation roles read from the data: who is the user and who the assistant. Agents store
// turns with the chat roles as speakers ("user", "assistant"); a dialogue between people stores
// their names. Recall reads the kind of conversation from its speakers, never from its source.

export type TurnRole = 'user' | 'assistant';

const ASSISTANT_SPEAKERS = new Set(['assistant', 'ai', 'bot', 'chatbot', 'agent', 'model']);
const USER_SPEAKERS = new Set(['user', 'human']);

/** The chat role a speaker name stands for; null for a person's name (a dialogue between people). */
export function speakerRole(speaker: string | null): TurnRole | null {
  if (speaker === null) return null;
  const s = speaker.trim().toLowerCase();
  if (ASSISTANT_SPEAKERS.has(s)) return 'assistant';
  if (USER_SPEAKERS.has(s)) return 'user';
  return null;
}
