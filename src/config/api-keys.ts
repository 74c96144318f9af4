// ENGRAM_API_KEYS ("key:tenant,…") parsing, shared by the config check (so a bad key stops
// start-up with exit code 2, and `engram config check` says so) and by HTTP auth.
import { AppError } from '../domain/errors.js';

/** Shorter keys are refused: a key is the only thing standing between a caller and a tenant. */
export const API_KEY_MIN_CHARS = 16;
const TENANT_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
/** The /metrics label value of the tenants past its cap (telemetry/prometheus.ts OTHER_LABEL). */
const RESERVED_TENANT = '__other__';

/** key → tenant. Keys and tenants are trimmed; undefined or empty means no keys. */
export function parseApiKeys(spec: string | undefined): Map<string, string> {
  const keys = new Map<string, string>();
  if (spec === undefined) return keys;
  for (const pair of spec
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const separator = pair.lastIndexOf(':');
    const key = pair.slice(0, separator).trim();
    const tenant = pair.slice(separator + 1).trim();
    if (separator <= 0 || key.length < API_KEY_MIN_CHARS || !TENANT_NAME.test(tenant)) {
      throw new AppError(
        'CONFIG_INVALID',
        `ENGRAM_API_KEYS must be "key:tenant" pairs separated by commas; keys at least ${API_KEY_MIN_CHARS} characters, tenants 1-64 of A-Z a-z 0-9 _ . -`,
      );
    }
    if (tenant === RESERVED_TENANT) {
      throw new AppError(
        'CONFIG_INVALID',
        `ENGRAM_API_KEYS: the tenant name ${RESERVED_TENANT} is reserved (/metrics labels the tenants past its cap with it); choose another.`,
      );
    }
    if (keys.has(key)) {
      throw new AppError('CONFIG_INVALID', 'ENGRAM_API_KEYS gives the same key twice.');
    }
    keys.set(key, tenant);
  }
  return keys;
}
