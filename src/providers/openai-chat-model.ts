// Chat model for any OpenAI-compatible `POST {baseUrl}/chat/completions`, asking for JSON with
// `response_format: json_schema` (strict when the schema allows), stepping down to json_object
// and then to a schema in the prompt when the server refuses (structured-output.ts), and
// validating every reply with the caller's zod schema. Small local models often get the JSON
// almost right, so a failed validation earns up to two repair requests that show the model its
// reply and the issues; a reply still invalid after them is a clear error (`invalid_output`).
import { z } from 'zod';
import { AppError } from '../domain/errors.js';
import type { Logger } from '../domain/logger.js';
import type { ChatMessage, ChatModel, CompleteJsonOptions } from '../ports/chat-model.js';
import type { ModelCallRecorder } from '../ports/embedder.js';
import { createCallPolicy } from './call-policy.js';
import { joinUrl, postJson, printableUrl } from './http-json.js';
import { modelCallRecorder, shortReason } from './model-call-recorder.js';
import {
  checkReply,
  messagesFor,
  refusesResponseFormat,
  responseFormatFor,
  weakerMode,
  wireSchemaOf,
  type OutputMode,
  type WireSchema,
} from './structured-output.js';

export interface OpenAiChatModelOptions {
  baseUrl: string;
  model: string;
  apiKey?: string | undefined;
  timeoutMs: number;
  logger: Logger;
  recordCall?: ModelCallRecorder | undefined;
  maxAttempts?: number;
  backoffBaseMs?: number;
  breakerThreshold?: number;
  breakerHalfOpenAfterMs?: number;
}

const completionResponse = z.object({
  choices: z
    .array(
      z.object({
        message: z.object({
          content: z.string().nullable().optional(),
          refusal: z.string().nullable().optional(),
        }),
        finish_reason: z.string().nullable().optional(),
      }),
    )
    .min(1),
  usage: z
    .object({ prompt_tokens: z.number().optional(), completion_tokens: z.number().optional() })
    .partial()
    .optional(),
});

/** Repair requests after an invalid reply before the call fails (small models often need two). */
const MAX_REPAIRS = 2;

export function createOpenAiChatModel(options: OpenAiChatModelOptions): ChatModel {
  const url = joinUrl(options.baseUrl, 'chat/completions');
  const target = `chat model server ${printableUrl(url)} (model ${options.model})`;
  const policy = createCallPolicy({ ...options, target });
  const id = `openai:${options.model}`;
  let closed = false;

  const record = modelCallRecorder('chat', 'openai', options);

  /** One completion (with retries); returns the reply's text. */
  async function complete(
    messages: ChatMessage[],
    responseFormat: unknown,
    opts: CompleteJsonOptions,
  ): Promise<string> {
    const body: Record<string, unknown> = {
      model: options.model,
      messages,
      temperature: opts.temperature ?? 0,
    };
    if (responseFormat !== undefined) body['response_format'] = responseFormat;
    if (opts.maxOutputTokens !== undefined) body['max_tokens'] = opts.maxOutputTokens;
    const started = performance.now();
    try {
      const raw = await policy.execute(
        (signal) =>
          postJson({
            url,
            body,
            apiKey: options.apiKey,
            apiKeySetting: 'ENGRAM_LLM_API_KEY',
            target,
            signal,
          }),
        opts.signal,
      );
      const parsed = completionResponse.safeParse(raw);
      if (!parsed.success) {
        throw new AppError(
          'PROVIDER_FAILED',
          `${target} answered without a valid chat completion (expected {choices: [{message}]})`,
          {
            details: { reason: 'bad_response', issues: parsed.error.issues.slice(0, 5) },
          },
        );
      }
      const usage = parsed.data.usage;
      record({
        latencyMs: performance.now() - started,
        items: messages.length,
        success: true,
        ...(usage?.prompt_tokens === undefined ? {} : { inputTokens: usage.prompt_tokens }),
        ...(usage?.completion_tokens === undefined
          ? {}
          : { outputTokens: usage.completion_tokens }),
      });
      const choice = parsed.data.choices[0]!;
      if (choice.message.refusal) {
        throw new AppError(
          'PROVIDER_FAILED',
          `${target} refused: ${choice.message.refusal.slice(0, 200)}`,
          {
            details: { reason: 'refusal' },
          },
        );
      }
      const content = choice.message.content ?? '';
      if (choice.finish_reason === 'length') {
        // Cut off mid-JSON: validation will fail; say why so the fix (a larger budget) is obvious.
        options.logger.warn(
          { target, schema: opts.schemaName },
          'chat reply cut off at the token limit',
        );
      }
      return content;
    } catch (error) {
      if (!(error instanceof AppError && error.details?.['reason'] === 'refusal')) {
        record({
          latencyMs: performance.now() - started,
          items: messages.length,
          success: false,
          error: shortReason(error),
        });
      }
      throw error;
    }
  }

  /** Strongest response format this server has not refused yet; steps down once per refusal. */
  let mode: OutputMode = 'json_schema';

  /** One reply in the current mode, stepping down (and asking again) while the server refuses it. */
  async function ask(
    messages: ChatMessage[],
    wire: WireSchema,
    opts: CompleteJsonOptions,
  ): Promise<string> {
    for (;;) {
      const current = mode;
      try {
        return await complete(
          messagesFor(current, messages, wire),
          responseFormatFor(current, wire),
          opts,
        );
      } catch (error) {
        const weaker = weakerMode(current);
        if (weaker === undefined || !refusesResponseFormat(error)) throw error;
        // Another request may have stepped down already; never step back up.
        if (mode === current) mode = weaker;
        options.logger.warn(
          { target, refused: current, next: mode },
          'chat model server refused the response format; asking with a weaker one',
        );
      }
    }
  }

  return {
    id,
    async completeJson<T>(
      schema: z.ZodType<T>,
      messages: ChatMessage[],
      opts: CompleteJsonOptions,
    ): Promise<T> {
      if (closed) throw new AppError('UNAVAILABLE', `chat model ${id} is closed`);
      const wire = wireSchemaOf(opts.schemaName, schema);
      let reply = await ask(messages, wire, opts);
      let checked = checkReply(schema, reply);
      for (let repair = 1; !checked.ok && repair <= MAX_REPAIRS; repair++) {
        options.logger.debug(
          { target, schema: opts.schemaName, repair, issues: checked.issues },
          'chat reply failed validation; asking for a repair',
        );
        // The original request, the last reply and what is wrong with it: short, whatever the round.
        const repairMessages: ChatMessage[] = [
          ...messages,
          { role: 'assistant', content: reply },
          {
            role: 'user',
            content:
              `Your reply is not valid for the JSON schema "${opts.schemaName}":\n- ${checked.issues.join('\n- ')}\n` +
              'Reply again with only the corrected JSON object, no prose and no code fences.',
          },
        ];
        reply = await ask(repairMessages, wire, opts);
        checked = checkReply(schema, reply);
      }
      if (checked.ok) return checked.value;
      throw new AppError(
        'PROVIDER_FAILED',
        `${target} returned output that does not match schema "${opts.schemaName}", even after ${MAX_REPAIRS} repair requests: ` +
          checked.issues.slice(0, 3).join('; '),
        {
          details: {
            reason: 'invalid_output',
            schemaName: opts.schemaName,
            issues: checked.issues,
            output: reply.slice(0, 500),
          },
        },
      );
    },
    async close() {
      closed = true;
    },
  };
}
