// The `openai` distiller: asks the chat model for a short summary and standalone facts (validated
// JSON). Each becomes an episode linked to the same turns.
import { z } from 'zod';
import type { ChatModel } from '../../ports/chat-model.js';
import { formatDay } from './relative-dates.js';
import type { DistillTurn, Distiller } from './distiller.js';

const episodeSchema = z.object({
  summary: z.string().min(1).max(2000),
  facts: z.array(z.string().min(1).max(500)).max(12),
});

const INSTRUCTIONS = `You turn a stretch of conversation into memory for an assistant.
Return JSON {"summary": string, "facts": string[]}.
- summary: 1-3 sentences, third person, naming the speakers.
- facts: standalone statements worth remembering later (who did what, preferences, plans, names, numbers).
  Replace relative times ("yesterday", "last year") with absolute dates using the turn dates given.
Use only what the conversation says.`;

export function createChatDistiller(model: ChatModel): Distiller {
  return {
    id: model.id,
    async distill(turns: DistillTurn[], options: { signal?: AbortSignal } = {}): Promise<string[]> {
      if (turns.length === 0) return [];
      const transcript = turns
        .map((turn) => `[${formatDay(turn.occurredAt)}] ${turn.speaker ?? 'unknown'}: ${turn.text}`)
        .join('\n');
      const result = await model.completeJson(
        episodeSchema,
        [
          { role: 'system', content: INSTRUCTIONS },
          { role: 'user', content: transcript },
        ],
        {
          schemaName: 'episode',
          maxOutputTokens: 600,
          ...(options.signal === undefined ? {} : { signal: options.signal }),
        },
      );
      return [result.summary, ...result.facts]
        .map((text) => text.trim())
        .filter((text) => text !== '');
    },
  };
}
