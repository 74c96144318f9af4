// OTLP attribute lists (KeyValue[] of AnyValue) as a flat Map of scalars, with the receiver's
// limits: at most MAX_ATTRIBUTES per list and AnyValue nesting at most MAX_ANY_VALUE_DEPTH deep.
// A list past a limit makes the whole request a 400 (OtlpInputError), never a partial fold.
// Arrays and key-value lists are checked for depth and kept as JSON text (nothing maps them).

/** Most attributes one span, log record, resource or scope may carry. */
export const MAX_ATTRIBUTES = 1000;
/** Deepest AnyValue nesting (arrayValue / kvlistValue inside each other). */
export const MAX_ANY_VALUE_DEPTH = 16;

export type Scalar = string | number | boolean;
export type Attributes = Map<string, Scalar>;

/** Input no export can be folded from; the route answers 400 with the message. */
export class OtlpInputError extends Error {}

function plainOf(value: unknown, depth: number, where: string): unknown {
  if (depth > MAX_ANY_VALUE_DEPTH)
    throw new OtlpInputError(
      `${where}: AnyValue is nested deeper than ${MAX_ANY_VALUE_DEPTH} levels; flatten it`,
    );
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.stringValue === 'string') return v.stringValue;
  if (typeof v.boolValue === 'boolean') return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return Number(v.doubleValue);
  if (typeof v.bytesValue === 'string') return v.bytesValue;
  const list = (v.arrayValue ?? v.kvlistValue) as { values?: unknown } | undefined;
  if (list === undefined || list === null) return undefined;
  const values = Array.isArray(list.values) ? list.values : [];
  if (values.length > MAX_ATTRIBUTES)
    throw new OtlpInputError(
      `${where}: an AnyValue list holds ${values.length} values; at most ${MAX_ATTRIBUTES}`,
    );
  if (v.arrayValue !== undefined) return values.map((item) => plainOf(item, depth + 1, where));
  return Object.fromEntries(
    values.map((kv) => {
      const pair = (kv ?? {}) as { key?: unknown; value?: unknown };
      return [String(pair.key), plainOf(pair.value, depth + 1, where)];
    }),
  );
}

/** The attributes of one OTLP item; `where` names it in an error ("resourceSpans[0]…"). */
export function attributesOf(list: unknown, where: string): Attributes {
  const out: Attributes = new Map();
  if (list === undefined || list === null) return out;
  if (!Array.isArray(list)) throw new OtlpInputError(`${where}.attributes must be a list`);
  if (list.length > MAX_ATTRIBUTES)
    throw new OtlpInputError(
      `${where} carries ${list.length} attributes; at most ${MAX_ATTRIBUTES} are accepted per item`,
    );
  for (const kv of list) {
    const pair = (kv ?? {}) as { key?: unknown; value?: unknown };
    if (typeof pair.key !== 'string') continue;
    const plain = plainOf(pair.value, 1, `${where}.attributes[${JSON.stringify(pair.key)}]`);
    if (typeof plain === 'string' || typeof plain === 'number' || typeof plain === 'boolean')
      out.set(pair.key, plain);
    else if (plain !== undefined) out.set(pair.key, JSON.stringify(plain));
  }
  return out;
}

/** The AnyValue body of a log record as a plain value (checked like an attribute). */
export function bodyOf(value: unknown, where: string): unknown {
  return plainOf(value, 1, `${where}.body`);
}

export function str(attrs: Attributes, ...keys: string[]): string | undefined {
  for (const key of keys) {
    const value = attrs.get(key);
    if (value !== undefined && value !== '') return String(value);
  }
  return undefined;
}

/** A finite number from a numeric or numeric-string attribute. */
export function num(attrs: Attributes, ...keys: string[]): number | undefined {
  for (const key of keys) {
    const value = attrs.get(key);
    if (value === undefined || value === '' || typeof value === 'boolean') continue;
    const n = Number(value);
    if (Number.isFinite(n)) return n;
  }
  return undefined;
}

/** A boolean from true/false or "true"/"false". */
export function bool(attrs: Attributes, key: string): boolean | undefined {
  const value = attrs.get(key);
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  return undefined;
}

/** Nanoseconds since the epoch (decimal string or number, as OTLP sends them) → ms. */
export function nanosToMs(value: unknown): number | undefined {
  if (typeof value === 'string' && /^\d{1,20}$/.test(value)) {
    const ms = Number(BigInt(value) / 1_000_000n);
    return ms > 0 ? ms : undefined;
  }
  if (typeof value === 'number' && Number.isFinite(value) && value > 0)
    return Math.floor(value / 1e6);
  return undefined;
}

const HEX = /^[0-9a-fA-F]+$/;

/** A trace or span id as lower-case hex, from hex (OTLP JSON) or base64 (protobuf, some JSON). */
export function idHex(value: unknown, bytes: 8 | 16): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  if (value.length === bytes * 2 && HEX.test(value)) return value.toLowerCase();
  const decoded = Buffer.from(value, 'base64');
  if (decoded.length !== bytes) return undefined;
  return decoded.toString('hex');
}
