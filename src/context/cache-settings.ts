// Parsing of the token cache's namespace TTLs (ENGRAM_TOKEN_CACHE_NAMESPACE_TTLS), shared by the
// config schema (to report a bad value at start-up) and the runtime.

const NAMESPACE = /^[\w.:-]{1,64}$/;
const MAX_TTL_SECONDS = 31_536_000;

/** `{"docs":604800,"chat":3600}` → Map; throws an Error whose message says what is wrong. */
export function parseNamespaceTtls(setting: string | undefined): Map<string, number> {
  const ttls = new Map<string, number>();
  if (setting === undefined || setting.trim() === '') return ttls;
  let parsed: unknown;
  try {
    parsed = JSON.parse(setting);
  } catch {
    throw new Error('must be a JSON object of namespace → TTL seconds, e.g. {"docs":604800}');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error('must be a JSON object of namespace → TTL seconds, e.g. {"docs":604800}');
  }
  for (const [namespace, ttl] of Object.entries(parsed)) {
    if (!NAMESPACE.test(namespace))
      throw new Error(`namespace "${namespace}" must be 1-64 of A-Z a-z 0-9 _ . : -`);
    if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL_SECONDS) {
      throw new Error(
        `TTL of "${namespace}" must be a whole number of seconds from 1 to ${MAX_TTL_SECONDS}`,
      );
    }
    ttls.set(namespace, ttl);
  }
  return ttls;
}
