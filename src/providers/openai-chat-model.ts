// Chat model for any OpenAI-compatible `POST {baseUrl}/chat/completions`, asking for JSON
// with `response_format: json_schema` and validating the reply with the caller's zod schema.
// Small local models often get the JSON almost right, so a failed validation earns one repair
// request that shows the model its reply and the issues; a second failure is a clear error.
import { z } from 'zod';
import { AppError } from '../domain/errors.js';
import type { Logger } from '../domain/logger.js';
import type { ChatMessage, ChatModel, CompleteJsonOptions } from '../ports/chat-model.js';
import type { ModelCallRecorder } from '../ports/embedder.js';
import { createCallPolicy } from './call-policy.js';
import { joinUrl, postJson, printableUrl } from './http-json.js';
import { modelCallRecorder, shortReason } from './model-call-recorder.js';

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

const MAX_ISSUES_SHOWN = 8;

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
      response_format: responseFormat,
      temperature: opts.temperature ?? 0,
    };
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

  return {
    id,
    async completeJson<T>(
      schema: z.ZodType<T>,
      messages: ChatMessage[],
      opts: CompleteJsonOptions,
    ): Promise<T> {
      if (closed) throw new AppError('UNAVAILABLE', `chat model ${id} is closed`);
      const responseFormat = {
        type: 'json_schema',
        json_schema: { name: opts.schemaName, schema: jsonSchemaOf(schema), strict: false },
      };
      const first = await complete(messages, responseFormat, opts);
      const firstCheck = check(schema, first);
      if (firstCheck.ok) return firstCheck.value;
      options.logger.debug(
        { target, schema: opts.schemaName, issues: firstCheck.issues },
        'chat reply failed validation; asking for a repair',
      );
      const repairMessages: ChatMessage[] = [
        ...messages,
        { role: 'assistant', content: first },
        {
          role: 'user',
          content:
            `Your reply is not valid for the JSON schema "${opts.schemaName}":\n- ${firstCheck.issues.join('\n- ')}\n` +
            'Reply again with only the corrected JSON object, no prose and no code fences.',
        },
      ];
      const second = await complete(repairMessages, responseFormat, opts);
      const secondCheck = check(schema, second);
      if (secondCheck.ok) return secondCheck.value;
      throw new AppError(
        'PROVIDER_FAILED',
        `${target} returned output that does not match schema "${opts.schemaName}", even after one repair request: ` +
          secondCheck.issues.slice(0, 3).join('; '),
        {
          details: {
            reason: 'invalid_output',
            schemaName: opts.schemaName,
            issues: secondCheck.issues,
            output: second.slice(0, 500),
          },
        },
      );
    },
    async close() {
      closed = true;
    },
  };
}

type CheckResult<T> = { ok: true; value: T } | { ok: false; issues: string[] };

function check<T>(schema: z.ZodType<T>, content: string): CheckResult<T> {
  let json: unknown;
  try {
    json = JSON.parse(stripCodeFence(content));
  } catch (error) {
    return {
      ok: false,
      issues: [
        `not valid JSON (${error instanceof Error ? error.message : 'parse error'}): ${content.slice(0, 80)}`,
      ],
    };
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    issues: parsed.error.issues
      .slice(0, MAX_ISSUES_SHOWN)
      .map(
        (issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`,
      ),
  };
}

/** Models without constrained decoding like to wrap JSON in ```json fences; accept that. */
function stripCodeFence(content: string): string {
  const match = /^\s*```(?:json)?\s*\n([\s\S]*?)\n?```\s*$/i.exec(content);
  return match ? match[1]! : content;
}

/** JSON Schema of what the model must produce (the schema's input side), without `$schema`. */
function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  try {
    const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
      io: 'input',
      unrepresentable: 'any',
    }) as Record<string, unknown>;
    return rest;
  } catch {
    // Some schemas (e.g. with cycles the converter cannot name) have no JSON Schema form;
    // zod still validates the reply, the model just gets less guidance.
    return { type: 'object' };
  }
}
