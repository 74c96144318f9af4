// Folded telemetry metrics in Redis hashes, shared by every worker process.
//
// Keys (under the connection's keyPrefix; tenant, agent, tool, session and event ids URI-encoded):
//   tm:<tenant>:b:<minute>:<agent>:<tool>  hash: field → number (counters, sketch buckets, min/max)
//   tm:<tenant>:i:<minute>                 hash: "<agent>:<tool>" → 1, the buckets of that minute
//   tm:<tenant>:seen:<eventId>             string, TTL dedupTtl: the event was folded
//   tm:<tenant>:s:<session>                hash: session fields + agent
//   tm:<tenant>:se:<minute>                hash: sessionId → agentId, sessions that ended then
// Values are hash FIELDS keyed by identity (event id, bucket key, session id), never sorted-set
// members made of values, so equal values never collapse.
//
// Exactly once: one Lua script per batch. Dedup is keyed by tenant + eventId alone — never by the
// event's timestamp — so a client that re-stamps a retry (same eventId, later ts) still counts
// once; each mark lives dedupTtl seconds from its fold (a retry later than that counts again).
// The script works in two phases: first it only READS (which ids are new, in Redis and earlier in
// the batch) and checks every value, returning an error before any write if one is bad; only
// then does it write the operations and the marks. Redis runs a script atomically, so "marked
// processed" and "folded" are never observed apart, and since no write can fail after the checks
// a batch is all-or-nothing. Bad folds never reach the script: foldProblem filters them first
// and they come back in `rejected`, so one tenant's bad event cannot take another's down with it.
// A worker killed before the script leaves nothing (the entry is redelivered and folded then),
// one killed after it but before XACK leaves the ids marked (the redelivery is skipped).
import type { Redis } from 'ioredis';
import {
  checkFolds,
  type BucketFields,
  type EventFold,
  type FoldResult,
  type MetricQuery,
  type MetricStore,
  type SessionFields,
} from '../../ports/metric-store.js';

export interface RedisMetricStoreOptions {
  redis: Redis;
  dedupTtlSeconds: number;
  retentionSeconds: number;
}

// ARGV: dedupTtl, keepTtl, then three sections (headers keep per-event arguments few):
//   buckets:  n, then per bucket  bucketKeyIdx, indexKeyIdx, indexField
//   sessions: n, then per session sessionKeyIdx, agentId
//   events:   n, then per event   seenKeyIdx, bucketNo, nOps, op×(opField, value),
//                                 sessionNo (0: no session change) [, nSessionOps, op×(opField, value),
//                                 endedKeyIdx [, sessionId]]
// An opField is the field name after one character saying how to fold: + add, < min, > max.
const FOLD_SCRIPT = `
local dedupTtl = ARGV[1]
local keepTtl = ARGV[2]
local p = 3
local buckets = {}
local nb = tonumber(ARGV[p]); p = p + 1
for i = 1, nb do buckets[i] = {tonumber(ARGV[p]), tonumber(ARGV[p + 1]), ARGV[p + 2]}; p = p + 3 end
local sessions = {}
local ns = tonumber(ARGV[p]); p = p + 1
for i = 1, ns do sessions[i] = {tonumber(ARGV[p]), ARGV[p + 1]}; p = p + 2 end
local n = tonumber(ARGV[p]); p = p + 1
local folded = 0
local agg = {}
local strings = {}
local fresh = {}
local huge = math.huge
local function number(raw)
  local v = tonumber(raw)
  if v == nil or v ~= v or v == huge or v == -huge then
    error('telemetry fold: value ' .. tostring(raw) .. ' is not a finite number')
  end
  return v
end
local function combine(k, spec, v)
  local op = string.sub(spec, 1, 1)
  local f = string.sub(spec, 2)
  local fields = agg[k]
  if not fields then fields = {}; agg[k] = fields end
  local e = fields[f]
  if not e then fields[f] = {op, v}
  elseif op == '+' then e[2] = e[2] + v
  elseif op == '<' then if v < e[2] then e[2] = v end
  else if v > e[2] then e[2] = v end end
end
local function put(k, f, v)
  local fields = strings[k]
  if not fields then fields = {}; strings[k] = fields end
  fields[f] = v
end
-- Phase 1: reads and checks only. An error here leaves Redis untouched.
for i = 1, n do
  local seenIdx = tonumber(ARGV[p])
  local new = fresh[seenIdx] == nil and redis.call('EXISTS', KEYS[seenIdx]) == 0
  local b = buckets[tonumber(ARGV[p + 1])]
  local nOps = tonumber(ARGV[p + 2])
  p = p + 3
  if new then
    fresh[seenIdx] = true
    folded = folded + 1
    put(b[2], b[3], '1')
    for j = 1, nOps do combine(b[1], ARGV[p], number(ARGV[p + 1])); p = p + 2 end
  else
    if fresh[seenIdx] == nil then fresh[seenIdx] = false end
    p = p + 2 * nOps
  end
  local sessionNo = tonumber(ARGV[p])
  p = p + 1
  if sessionNo > 0 then
    local s = sessions[sessionNo]
    local nSessionOps = tonumber(ARGV[p])
    p = p + 1
    if new then
      put(s[1], 'agent', s[2])
      for j = 1, nSessionOps do combine(s[1], ARGV[p], number(ARGV[p + 1])); p = p + 2 end
    else
      p = p + 2 * nSessionOps
    end
    local endIdx = tonumber(ARGV[p])
    p = p + 1
    if endIdx > 0 then
      if new then put(endIdx, ARGV[p], s[2]) end
      p = p + 1
    end
  end
end
for _, fields in pairs(agg) do
  for _, e in pairs(fields) do
    if e[2] ~= e[2] or e[2] == huge or e[2] == -huge then
      error('telemetry fold: a batch total is not finite')
    end
  end
end
-- Phase 2: writes. A bucket always gets 'ev' and a session always gets 'last': when that field
-- is new, so is the key, and only then is its TTL set (one EXPIRE per key's life, not per batch).
for k, fields in pairs(agg) do
  local key = KEYS[k]
  local created = false
  for f, e in pairs(fields) do
    local v = string.format('%.17g', e[2])
    if e[1] == '+' then
      local total = redis.call('HINCRBYFLOAT', key, f, v)
      if f == 'ev' and tonumber(total) == e[2] then created = true end
    else
      local current = redis.call('HGET', key, f)
      if not current then
        if f == 'last' then created = true end
        redis.call('HSET', key, f, v)
      elseif (e[1] == '<' and e[2] < tonumber(current)) or (e[1] == '>' and e[2] > tonumber(current)) then
        redis.call('HSET', key, f, v)
      end
    end
  end
  if created then redis.call('EXPIRE', key, keepTtl) end
end
for k, fields in pairs(strings) do
  local key = KEYS[k]
  for f, v in pairs(fields) do
    if f == 'agent' then redis.call('HSETNX', key, f, v) else redis.call('HSET', key, f, v) end
  end
  if not agg[k] then redis.call('EXPIRE', key, keepTtl) end
end
for k, new in pairs(fresh) do
  if new then redis.call('SET', KEYS[k], '1', 'EX', dedupTtl) end
end
return folded
`;

const enc = encodeURIComponent;
const OP_MARK = { add: '+', min: '<', max: '>' } as const;

function keysOf(tenantId: string) {
  const t = `tm:${enc(tenantId)}`;
  return {
    bucket: (minute: number, agentId: string, tool: string) =>
      `${t}:b:${minute}:${enc(agentId)}:${enc(tool)}`,
    index: (minute: number) => `${t}:i:${minute}`,
    seen: (eventId: string) => `${t}:seen:${enc(eventId)}`,
    session: (sessionId: string) => `${t}:s:${enc(sessionId)}`,
    ended: (minute: number) => `${t}:se:${minute}`,
  };
}

function numbers(raw: Record<string, string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [field, value] of Object.entries(raw)) {
    const n = Number(value);
    if (!Number.isNaN(n)) out[field] = n;
  }
  return out;
}

type FoldCommand = (numKeys: number, ...args: string[]) => Promise<number>;

export function createRedisMetricStore(options: RedisMetricStoreOptions): MetricStore {
  const { redis } = options;
  const commandName = 'engramTelemetryFold';
  if (!(commandName in redis)) redis.defineCommand(commandName, { lua: FOLD_SCRIPT });
  const foldCommand = (redis as unknown as Record<string, FoldCommand>)[commandName]!.bind(redis);

  function pipelineValues<T>(results: Array<[Error | null, unknown]> | null): T[] {
    return (results ?? []).map(([error, value]) => {
      if (error !== null) throw error;
      return value as T;
    });
  }

  return {
    async fold(batch: EventFold[]): Promise<FoldResult> {
      const { valid: folds, rejected } = checkFolds(batch);
      if (folds.length === 0) return { folded: 0, duplicates: 0, rejected };
      const keys: string[] = [];
      const keyIndex = new Map<string, string>();
      const indexOf = (key: string) => {
        let index = keyIndex.get(key);
        if (index === undefined) {
          keys.push(key);
          index = String(keys.length);
          keyIndex.set(key, index);
        }
        return index;
      };
      const tenants = new Map<string, ReturnType<typeof keysOf>>();
      const bucketNo = new Map<string, string>();
      const bucketArgs: string[] = [];
      const sessionNo = new Map<string, string>();
      const sessionArgs: string[] = [];
      const eventArgs: string[] = [];
      for (const fold of folds) {
        let k = tenants.get(fold.tenantId);
        if (k === undefined) {
          k = keysOf(fold.tenantId);
          tenants.set(fold.tenantId, k);
        }
        const bucketId = `${fold.tenantId}\u0000${fold.minute}\u0000${fold.agentId}\u0000${fold.tool}`;
        let bucket = bucketNo.get(bucketId);
        if (bucket === undefined) {
          bucketArgs.push(
            indexOf(k.bucket(fold.minute, fold.agentId, fold.tool)),
            indexOf(k.index(fold.minute)),
            `${enc(fold.agentId)}:${enc(fold.tool)}`,
          );
          bucket = String(bucketNo.size + 1);
          bucketNo.set(bucketId, bucket);
        }
        eventArgs.push(indexOf(k.seen(fold.eventId)), bucket, String(fold.ops.length));
        for (const op of fold.ops) eventArgs.push(OP_MARK[op.kind] + op.field, String(op.value));
        if (fold.session.ops.length === 0) {
          eventArgs.push('0');
          continue;
        }
        const sessionId = `${fold.tenantId}\u0000${fold.session.sessionId}`;
        let session = sessionNo.get(sessionId);
        if (session === undefined) {
          sessionArgs.push(indexOf(k.session(fold.session.sessionId)), fold.agentId);
          session = String(sessionNo.size + 1);
          sessionNo.set(sessionId, session);
        }
        eventArgs.push(session, String(fold.session.ops.length));
        for (const op of fold.session.ops)
          eventArgs.push(OP_MARK[op.kind] + op.field, String(op.value));
        const ended = fold.session.endedMinute;
        if (ended === undefined) eventArgs.push('0');
        else eventArgs.push(indexOf(k.ended(ended)), fold.session.sessionId);
      }
      const args = [
        String(options.dedupTtlSeconds),
        String(options.retentionSeconds),
        String(bucketNo.size),
        ...bucketArgs,
        String(sessionNo.size),
        ...sessionArgs,
        String(folds.length),
        ...eventArgs,
      ];
      const folded = Number(await foldCommand(keys.length, ...keys, ...args));
      return { folded, duplicates: folds.length - folded, rejected };
    },

    async readBuckets(query: MetricQuery): Promise<BucketFields[]> {
      const k = keysOf(query.tenantId);
      const minutes: number[] = [];
      for (let minute = query.fromMinute; minute <= query.toMinute; minute += 1)
        minutes.push(minute);
      const indexPipeline = redis.pipeline();
      for (const minute of minutes) indexPipeline.hgetall(k.index(minute));
      const indexes = pipelineValues<Record<string, string>>(await indexPipeline.exec());
      const wanted: Array<{ minute: number; agentId: string; tool: string }> = [];
      indexes.forEach((index, i) => {
        for (const field of Object.keys(index)) {
          const [agentPart = '', toolPart = ''] = field.split(':');
          const agentId = decodeURIComponent(agentPart);
          const tool = decodeURIComponent(toolPart);
          if (query.agentId !== undefined && agentId !== query.agentId) continue;
          if (query.tool !== undefined && tool !== '' && tool !== query.tool) continue;
          wanted.push({ minute: minutes[i]!, agentId, tool });
        }
      });
      if (wanted.length === 0) return [];
      const bucketPipeline = redis.pipeline();
      for (const w of wanted) bucketPipeline.hgetall(k.bucket(w.minute, w.agentId, w.tool));
      const rows = pipelineValues<Record<string, string>>(await bucketPipeline.exec());
      return wanted.map((w, i) => ({ ...w, fields: numbers(rows[i]!) }));
    },

    async readEndedSessions(query): Promise<SessionFields[]> {
      const k = keysOf(query.tenantId);
      const endPipeline = redis.pipeline();
      for (let minute = query.fromMinute; minute <= query.toMinute; minute += 1)
        endPipeline.hgetall(k.ended(minute));
      const sessions = new Map<string, string>();
      for (const ended of pipelineValues<Record<string, string>>(await endPipeline.exec())) {
        for (const [sessionId, agentId] of Object.entries(ended)) {
          if (query.agentId === undefined || agentId === query.agentId)
            sessions.set(sessionId, agentId);
        }
      }
      if (sessions.size === 0) return [];
      const ids = [...sessions.keys()];
      const sessionPipeline = redis.pipeline();
      for (const id of ids) sessionPipeline.hgetall(k.session(id));
      const rows = pipelineValues<Record<string, string>>(await sessionPipeline.exec());
      return ids.map((sessionId, i) => ({
        sessionId,
        agentId: sessions.get(sessionId)!,
        fields: numbers(rows[i]!),
      }));
    },

    async prune() {
      // Every key carries a TTL (dedup ids, retention for metrics): Redis forgets by itself.
      return 0;
    },

    async close() {
      // The connection belongs to whoever opened it.
    },
  };
}
