// What no store can keep as sent, in any input (HTTP bodies, query strings and path parameters,
// MCP tool arguments): NUL characters, which PostgreSQL text refuses; lone UTF-16 surrogates,
// which both stores would turn into U+FFFD so distinct ids collapse; nesting deeper than
// MAX_INPUT_DEPTH. The HTTP input guard and the MCP server refuse such input as INVALID_INPUT.

/** Deepest nesting of objects and arrays an input may carry (metadata included). */
export const MAX_INPUT_DEPTH = 32;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function textProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'contains a NUL character (\\u0000), which cannot be stored';
  if (LONE_SURROGATE.test(text))
    return 'contains a lone UTF-16 surrogate (not valid Unicode); send well-formed UTF-8';
  return undefined;
}

function describeKey(where: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${where}.${key}` : `${where}[${JSON.stringify(key)}]`;
}

/**
 * The first problem in `value`, as "where: what", or undefined. Walks with its own stack, so a
 * body nested a million levels deep is reported, not a stack overflow.
 */
export function findInputProblem(
  value: unknown,
  where: string,
  maxDepth = MAX_INPUT_DEPTH,
): string | undefined {
  const stack: Array<{ value: unknown; where: string; depth: number }> = [
    { value, where, depth: 0 },
  ];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (typeof item.value === 'string') {
      const problem = textProblem(item.value);
      if (problem !== undefined) return `${item.where} ${problem}`;
      continue;
    }
    // Binary bodies (a protobuf or octet-stream parser's Buffer) are bytes, not text or nesting.
    if (typeof item.value !== 'object' || item.value === null || ArrayBuffer.isView(item.value))
      continue;
    if (item.depth >= maxDepth)
      return `${item.where} is nested deeper than ${maxDepth} levels; flatten it`;
    if (Array.isArray(item.value)) {
      item.value.forEach((element, index) =>
        stack.push({ value: element, where: `${item.where}[${index}]`, depth: item.depth + 1 }),
      );
      continue;
    }
    for (const [key, element] of Object.entries(item.value)) {
      const keyProblem = textProblem(key);
      if (keyProblem !== undefined) return `a key in ${item.where} ${keyProblem}`;
      stack.push({ value: element, where: describeKey(item.where, key), depth: item.depth + 1 });
    }
  }
  return undefined;
}
