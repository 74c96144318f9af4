// Identifiers: a short type prefix plus a time-ordered random part, so ids sort by creation.
import { randomFillSync } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

function encodeTime(ms: number): string {
  let out = '';
  let rest = ms;
  for (let i = 0; i < 10; i += 1) {
    out = ALPHABET[rest % 32]! + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

/**
 * Random bytes drawn from a pool filled 4 KB at a time, each byte used once: a call into the
 * system's generator for each id (and a buffer for its 12 bytes) took 1–2 % of ingestion's
 * event loop, which makes an id for every chunk and entity.
 */
const pool = Buffer.alloc(4096);
let poolUsed = pool.length;

function encodeRandom(length: number): string {
  if (poolUsed + length > pool.length) {
    randomFillSync(pool);
    poolUsed = 0;
  }
  let out = '';
  for (let i = poolUsed; i < poolUsed + length; i++) out += ALPHABET[pool[i]! % 32]!;
  poolUsed += length;
  return out;
}

export function newId(prefix: string, nowMs: number = Date.now()): string {
  return `${prefix}_${encodeTime(nowMs)}${encodeRandom(12)}`;
}
