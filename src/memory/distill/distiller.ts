// Distiller: turns leaving working memory → episode texts. The extractive default needs no network;
// the `openai` option asks a chat model and falls back to the extractive one when the model fails.

export interface DistillTurn {
  speaker: string | null;
  text: string;
  /** ms since epoch. */
  occurredAt: number;
}

export interface Distiller {
  /** Recorded on each episode, e.g. `extractive-v1`, `openai:gpt-4o-mini`. */
  readonly id: string;
  /** One or more episode texts for consecutive turns of one session (never empty for non-empty input). */
  distill(turns: DistillTurn[], options?: { signal?: AbortSignal }): Promise<string[]>;
}
