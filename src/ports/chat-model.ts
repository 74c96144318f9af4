// Chat-model port: one structured (JSON) completion, validated against the caller's zod schema.
// Used by the openai extractor, summariser and intent classifier.
import type { z } from 'zod';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface CompleteJsonOptions {
  /** Name of the schema sent to the model (letters, digits, `_` and `-`), e.g. `extraction`. */
  schemaName: string;
  signal?: AbortSignal;
  /** Upper bound on the reply's tokens. */
  maxOutputTokens?: number;
  /** Defaults to 0: extraction wants the same answer twice. */
  temperature?: number;
}

export interface ChatModel {
  /** e.g. `openai:gpt-4o-mini`. */
  readonly id: string;
  /**
   * Asks for JSON matching `schema` and returns it parsed and validated. Output that is not
   * valid JSON or fails validation gets up to two repair requests; output still invalid after
   * them throws `PROVIDER_FAILED` with `details.reason` `invalid_output` and the validation
   * issues in `details.issues`.
   */
  completeJson<T>(
    schema: z.ZodType<T>,
    messages: ChatMessage[],
    options: CompleteJsonOptions,
  ): Promise<T>;
  close(): Promise<void>;
}
