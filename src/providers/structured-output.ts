// Structured output from OpenAI-compatible chat servers, which differ in what they accept:
// OpenAI takes `response_format: json_schema` with `strict: true` (constrained decoding, but only
// for schemas where every property is required and no extra property is allowed); vLLM, llama.cpp
// and older servers answer 400 to json_schema, some to json_object too. The chat model starts at
// the strongest mode and steps down once per refusal; every mode's reply is still validated by
// the caller's zod schema, and the modes without a schema on the wire carry it in the prompt.
import { z } from 'zod';
import { isAppError } from '../domain/errors.js';
import type { ChatMessage } from '../ports/chat-model.js';

/** How the schema reaches the server, strongest first. */
export const OUTPUT_MODES = ['json_schema', 'json_object', 'text'] as const;
export type OutputMode = (typeof OUTPUT_MODES)[number];

export interface WireSchema {
  name: string;
  schema: Record<string, unknown>;
  /** True when the schema meets strict mode's rules (all properties required, none extra). */
  strict: boolean;
}

/** The mode after `mode`, or undefined from the weakest. */
export function weakerMode(mode: OutputMode): OutputMode | undefined {
  return OUTPUT_MODES[OUTPUT_MODES.indexOf(mode) + 1];
}

/** The request's `response_format` in a mode (none in `text`). */
export function responseFormatFor(mode: OutputMode, wire: WireSchema): unknown {
  if (mode === 'json_schema')
    return {
      type: 'json_schema',
      json_schema: { name: wire.name, schema: wire.schema, strict: wire.strict },
    };
  if (mode === 'json_object') return { type: 'json_object' };
  return undefined;
}

/**
 * The messages as sent in a mode: without json_schema on the wire, the first system message
 * (or a new one) says which JSON Schema the reply must match. One system message, first: some
 * local chat templates reject a second one.
 */
export function messagesFor(mode: OutputMode, messages: ChatMessage[], wire: WireSchema) {
  if (mode === 'json_schema') return messages;
  const instruction =
    `Reply with one JSON object, and nothing else, that matches this JSON Schema (named "${wire.name}"):\n` +
    JSON.stringify(wire.schema);
  const [first, ...rest] = messages;
  if (first?.role === 'system')
    return [{ role: 'system' as const, content: `${first.content}\n\n${instruction}` }, ...rest];
  return [{ role: 'system' as const, content: instruction }, ...messages];
}

/**
 * True for an HTTP 400/422 from the server that names the response format: the server does not
 * support this mode (a wrong model name or a bad key answers differently and is not retried here).
 */
export function refusesResponseFormat(error: unknown): boolean {
  if (!isAppError(error) || error.details?.['reason'] !== 'http_status') return false;
  const status = error.details['status'];
  if (status !== 400 && status !== 422) return false;
  return /response[_ ]?format|json[_ ]?schema|json[_ ]?object|structured output|guided/i.test(
    error.message,
  );
}

const SUPPORTED_KEYWORDS = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'enum',
  'const',
  'anyOf',
  'description',
  '$defs',
  '$ref',
  'minItems',
  'maxItems',
  'pattern',
  'format',
  'minimum',
  'maximum',
]);

/**
 * The JSON Schema of a zod schema's output for the wire: `$schema` dropped, every object closed
 * (`additionalProperties: false`) and keywords strict mode does not take (string lengths, for
 * one) left to zod's own validation of the reply. Strict only when every property is required.
 */
export function wireSchemaOf(name: string, schema: z.ZodType): WireSchema {
  let json: unknown;
  try {
    json = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' });
  } catch {
    // A schema without a JSON Schema form: zod still validates the reply, the model gets less help.
    return { name, schema: { type: 'object' }, strict: false };
  }
  let strict = true;
  const visit = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(visit);
    if (node === null || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      if (!SUPPORTED_KEYWORDS.has(key)) continue;
      out[key] =
        key === 'properties' || key === '$defs'
          ? Object.fromEntries(
              Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, visit(v)]),
            )
          : visit(value);
    }
    if (out['type'] === 'object' || out['properties'] !== undefined) {
      const keys = Object.keys((out['properties'] as Record<string, unknown> | undefined) ?? {});
      const required = (out['required'] as string[] | undefined) ?? [];
      if (keys.length === 0 || keys.some((key) => !required.includes(key))) strict = false;
      out['additionalProperties'] = false;
    }
    return out;
  };
  const wire = visit(json) as Record<string, unknown>;
  return { name, schema: wire, strict };
}

export type ReplyCheck<T> = { ok: true; value: T } | { ok: false; issues: string[] };

const MAX_ISSUES_SHOWN = 8;

/** Parses a reply (a ```json fence around it is accepted) and validates it with the schema. */
export function checkReply<T>(schema: z.ZodType<T>, content: string): ReplyCheck<T> {
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
