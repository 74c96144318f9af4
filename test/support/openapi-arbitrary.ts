// fast-check arbitraries from an OpenAPI 3 document: for each operation, requests whose path
// parameters, query strings, headers and JSON bodies start from what the schema allows and are
// then mutated with the inputs that break servers (NUL, %00, lone surrogates, 10,000-deep
// nesting, 1e308, wrong types, oversize strings, broken JSON, odd content types).
import fc from 'fast-check';

export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: boolean | JsonSchema;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  nullable?: boolean;
}

interface Parameter {
  in: 'path' | 'query' | 'header' | 'cookie';
  name: string;
  required?: boolean;
  schema?: JsonSchema;
}

export interface Operation {
  method: string;
  path: string;
  parameters: Parameter[];
  body: JsonSchema | undefined;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, { parameters?: Parameter[]; requestBody?: unknown }>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

/** Every operation of the document, in document order. */
export function operationsOf(document: OpenApiDocument): Operation[] {
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      const content = (
        operation.requestBody as { content?: Record<string, { schema?: JsonSchema }> } | undefined
      )?.content;
      operations.push({
        method: method.toUpperCase(),
        path,
        parameters: operation.parameters ?? [],
        body: content?.['application/json']?.schema,
      });
    }
  }
  return operations;
}

/** JSON text spliced into a body as it is: nesting JSON.stringify itself could not write. */
export class RawJson {
  constructor(readonly text: string) {}
}

export function deepJson(levels: number): RawJson {
  return new RawJson(`${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`);
}

export function toJsonText(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_key, inner: unknown) => {
    if (!(inner instanceof RawJson)) return inner;
    raws.push(inner.text);
    return `\u0001raw${raws.length - 1}\u0001`;
  });
  return (text ?? 'null').replace(
    /"\\u0001raw(\d+)\\u0001"/g,
    (_match, index: string) => raws[Number(index)]!,
  );
}

/** Values that have broken servers before: each replaces some part of a valid request. */
export const NASTY_VALUES: unknown[] = [
  '\u0000',
  'a\u0000b',
  '%00',
  '\ud800',
  'x\udc00y',
  '\udbff\udbff',
  '',
  ' ',
  'x'.repeat(100_000),
  '😀'.repeat(3),
  "' OR 1=1 --",
  '../../etc/passwd',
  '%',
  1e308,
  -1e308,
  Number.MAX_SAFE_INTEGER + 2,
  -1,
  0,
  1.5,
  true,
  null,
  [],
  {},
  [[[[]]]],
  new RawJson('{"__proto__":{"polluted":true}}'),
  { constructor: { prototype: { polluted: true } } },
  deepJson(10_000),
];

const nasty = fc.constantFrom(...NASTY_VALUES);

function resolve(schema: JsonSchema, document: OpenApiDocument): JsonSchema {
  if (schema.$ref === undefined) return schema;
  const name = schema.$ref.replace('#/components/schemas/', '');
  return document.components?.schemas?.[name] ?? {};
}

/** Values the schema allows (mostly: patterns and formats are approximated). */
export function validValue(
  raw: JsonSchema,
  document: OpenApiDocument,
  depth = 0,
): fc.Arbitrary<unknown> {
  const schema = resolve(raw, document);
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum !== undefined && schema.enum.length > 0) return fc.constantFrom(...schema.enum);
  const choices = schema.anyOf ?? schema.oneOf;
  if (choices !== undefined && choices.length > 0)
    return fc.oneof(...choices.map((choice) => validValue(choice, document, depth + 1)));
  if (schema.allOf !== undefined && schema.allOf.length > 0)
    return validValue(schema.allOf[0]!, document, depth + 1);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  const base = ((): fc.Arbitrary<unknown> => {
    switch (type) {
      case 'string':
        return stringValue(schema);
      case 'integer':
        return fc.integer({
          min: Math.max(schema.minimum ?? -1000, -1e9),
          max: Math.min(schema.maximum ?? 1000, 1e9),
        });
      case 'number':
        return fc.double({
          min: Math.max(schema.minimum ?? -1e6, -1e9),
          max: Math.min(schema.maximum ?? 1e6, 1e9),
          noNaN: true,
        });
      case 'boolean':
        return fc.boolean();
      case 'null':
        return fc.constant(null);
      case 'array':
        if (depth > 6) return fc.constant([]);
        return fc.array(validValue(schema.items ?? {}, document, depth + 1), {
          minLength: schema.minItems ?? 0,
          maxLength: Math.max(schema.minItems ?? 0, Math.min(schema.maxItems ?? 3, 3)),
        });
      case 'object':
        return objectValue(schema, document, depth);
      default:
        return fc.jsonValue({ maxDepth: 2 });
    }
  })();
  return schema.nullable === true ? fc.option(base, { nil: null }) : base;
}

function stringValue(schema: JsonSchema): fc.Arbitrary<string> {
  const minLength = schema.minLength ?? 0;
  const maxLength = Math.max(minLength, Math.min(schema.maxLength ?? 40, 40));
  if (schema.format === 'date-time')
    return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
  if (schema.format === 'date')
    return fc.date({ noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
  if (schema.pattern !== undefined) {
    const pattern = new RegExp(schema.pattern);
    return fc
      .stringMatching(pattern)
      .filter((text) => text.length >= minLength && text.length <= (schema.maxLength ?? Infinity));
  }
  return fc.string({ unit: 'grapheme', minLength, maxLength });
}

function objectValue(
  schema: JsonSchema,
  document: OpenApiDocument,
  depth: number,
): fc.Arbitrary<unknown> {
  const properties = schema.properties ?? {};
  const names = Object.keys(properties);
  if (names.length === 0) {
    if (depth > 6 || schema.additionalProperties === false) return fc.constant({});
    return fc.dictionary(
      fc.string({ minLength: 1, maxLength: 12 }),
      fc.jsonValue({ maxDepth: 2 }),
      { maxKeys: 4 },
    );
  }
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const name of names) model[name] = validValue(properties[name]!, document, depth + 1);
  return fc.record(model, { requiredKeys: (schema.required ?? []).filter((n) => n in model) });
}

/** All paths to nodes of a JSON value (the root is []). */
function pathsOf(value: unknown): Array<Array<string | number>> {
  const paths: Array<Array<string | number>> = [[]];
  const stack: Array<{ value: unknown; path: Array<string | number> }> = [{ value, path: [] }];
  while (stack.length > 0) {
    const { value: node, path } = stack.pop()!;
    if (Array.isArray(node)) {
      node.forEach((child, index) => {
        paths.push([...path, index]);
        stack.push({ value: child, path: [...path, index] });
      });
    } else if (typeof node === 'object' && node !== null && !(node instanceof RawJson)) {
      for (const [key, child] of Object.entries(node)) {
        paths.push([...path, key]);
        stack.push({ value: child, path: [...path, key] });
      }
    }
  }
  return paths;
}

function replaceAt(value: unknown, path: Array<string | number>, replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path;
  if (Array.isArray(value)) {
    const copy = [...(value as unknown[])];
    copy[head as number] = replaceAt(copy[head as number], rest, replacement);
    return copy;
  }
  const record = value as Record<string, unknown>;
  return { ...record, [head!]: replaceAt(record[head!], rest, replacement) };
}

/** A valid value, or one with a nasty value put somewhere in it (or added as an extra key). */
export function mutatedValue(valid: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 1, arbitrary: valid },
    {
      weight: 3,
      arbitrary: fc.tuple(valid, fc.nat(), nasty).map(([value, pick, bad]) => {
        const paths = pathsOf(value);
        return replaceAt(value, paths[pick % paths.length]!, bad);
      }),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(valid, nasty)
        .map(([value, bad]) =>
          typeof value === 'object' && value !== null && !Array.isArray(value)
            ? { ...value, ['extra\u0000key']: bad }
            : bad,
        ),
    },
  );
}

/** A path or query component as a client would send it; lone surrogates as raw bytes. */
export function encodeComponent(value: unknown): string {
  const text = typeof value === 'string' ? value : toJsonText(value);
  try {
    return encodeURIComponent(text);
  } catch {
    // encodeURIComponent refuses lone surrogates; send the CESU-8 bytes a sloppy client would.
    return encodeURIComponent(text.replace(/[\ud800-\udfff]/g, '')) + '%ED%A0%80';
  }
}

export interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string;
}

const RAW_SEGMENTS = ['%00', '%', '%ZZ', '..', '%2e%2e', '%FF', '%ED%A0%80', 'a'.repeat(1000)];
const BROKEN_BODIES = ['{', '[1,', '"\\ud800"', '{"a":"\\u0000"}', 'null', '', '\u0000', '1e999'];
const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/json; charset=latin1',
];
const headerText = fc.string({ unit: 'binary-ascii', maxLength: 60 }).map((text) =>
  // Header values a client library can send: visible ASCII and spaces.
  text.replace(/[^\x20-\x7e]/g, ''),
);

/** Requests for one operation: each part valid or mutated, independently. */
export function requestFor(
  operation: Operation,
  document: OpenApiDocument,
  baseHeaders: Record<string, string>,
): fc.Arbitrary<FuzzRequest> {
  const pathParams = operation.parameters.filter((p) => p.in === 'path');
  const queryParams = operation.parameters.filter((p) => p.in === 'query');
  const pathPart = fc.tuple(
    ...pathParams.map((param) =>
      fc.oneof(
        {
          weight: 3,
          arbitrary: mutatedValue(validValue(param.schema ?? {}, document)).map(encodeComponent),
        },
        { weight: 1, arbitrary: fc.constantFrom(...RAW_SEGMENTS) },
      ),
    ),
  );
  const queryPart = fc.tuple(
    ...queryParams.map((param) =>
      fc.option(mutatedValue(validValue(param.schema ?? {}, document)), {
        nil: undefined,
        freq: param.required === true ? 8 : 2,
      }),
    ),
    fc.option(fc.constantFrom('%00=1', 'x=%FF', 'limit=1&limit=2', 'a[b]=1', '=', '&&'), {
      nil: undefined,
      freq: 3,
    }),
  );
  const bodyPart: fc.Arbitrary<string | undefined> =
    operation.body === undefined
      ? fc.constant(undefined)
      : fc.oneof(
          {
            weight: 8,
            arbitrary: mutatedValue(validValue(operation.body, document)).map(toJsonText),
          },
          { weight: 1, arbitrary: fc.constantFrom(...BROKEN_BODIES) },
        );
  const headerPart = fc.record({
    contentType: fc.oneof(
      { weight: 6, arbitrary: fc.constant('application/json') },
      { weight: 1, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
    ),
    requestId: fc.option(headerText, { nil: undefined }),
    extra: fc.option(
      fc.tuple(fc.constantFrom('accept', 'x-api-key', 'accept-encoding'), headerText),
      {
        nil: undefined,
      },
    ),
  });

  return fc.tuple(pathPart, queryPart, bodyPart, headerPart).map(([segments, query, body, h]) => {
    let path = operation.path;
    pathParams.forEach((param, index) => {
      path = path.replace(`{${param.name}}`, segments[index] as string);
    });
    const pairs: string[] = [];
    queryParams.forEach((param, index) => {
      const value = query[index];
      if (value !== undefined) pairs.push(`${param.name}=${encodeComponent(value)}`);
    });
    const junk = query[queryParams.length];
    if (typeof junk === 'string') pairs.push(junk);
    const headers: Record<string, string> = { ...baseHeaders };
    if (h.requestId !== undefined) headers['x-request-id'] = h.requestId;
    if (h.extra !== undefined) headers[h.extra[0]] = h.extra[1];
    const request: FuzzRequest = {
      method: operation.method,
      url: pairs.length === 0 ? path : `${path}?${pairs.join('&')}`,
      headers,
    };
    if (body !== undefined) {
      headers['content-type'] = h.contentType;
      request.payload = body;
    }
    // A failure report quotes the request; a 10,000-deep body is shown by its size, not in full.
    Object.defineProperty(request, fc.toStringMethod, {
      enumerable: false,
      value: () =>
        `${request.method} ${request.url.slice(0, 300)} headers=${JSON.stringify(headers)} body(${body?.length ?? 0} chars)=${(body ?? '').slice(0, 300)}`,
    });
    return request;
  });
}
