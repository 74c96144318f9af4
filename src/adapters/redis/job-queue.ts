// JobQueue on Redis, for distributed deployments: one hash per job and, per queue, sorted sets
// whose members are job ids (identities, never values) scored by time — `due` (run at),
// `leases` (lease deadline) and one per state (updated at, for listing and counting). Every state
// change is one Lua script, so claims by many workers are atomic and each job goes to exactly
// one of them. Not a Stream: run-at times and backoff need time-ordered scheduling, which a
// stream (append-ordered) cannot give without this same sorted set beside it.
// Time comes from the caller's Clock (passed to each script), so tests move time.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { AppError } from '../../domain/errors.js';
import type { Clock } from '../../domain/clock.js';
import { newId } from '../../domain/ids.js';
import type {
  ClaimedJob,
  FailOutcome,
  Job,
  JobQueue,
  JobQueueOptions,
  JobState,
} from '../../ports/job-queue.js';

// Keys are built inside the scripts (a claim touches jobs it finds), so the connection's key
// prefix is passed as ARGV[1]. Layout: jq:job:<id>, jq:<queue>:due|leases|state:<s>|key:<key>.
const COMMON = `
local P = ARGV[1]
local function job(id) return P .. 'jq:job:' .. id end
local function qk(q, name) return P .. 'jq:' .. q .. ':' .. name end
local function move(q, id, from, to, now)
  if from then redis.call('ZREM', qk(q, 'state:' .. from), id) end
  redis.call('ZADD', qk(q, 'state:' .. to), now, id)
end
`;

const ENQUEUE = `${COMMON}
local q, key, id, tenant, payload, max, runAt, now = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9]
if key ~= '' then
  local existing = redis.call('GET', qk(q, 'key:' .. key))
  if existing then
    local state = redis.call('HGET', job(existing), 'state')
    if state == 'queued' or state == 'running' then return {existing, 0} end
    if state then
      redis.call('HSET', job(existing), 'state', 'queued', 'payload', payload, 'attempts', 0, 'max', max, 'runAt', runAt,
        'token', '', 'leaseUntil', '', 'lastError', '', 'updatedAt', now)
      redis.call('ZADD', qk(q, 'due'), runAt, existing)
      move(q, existing, state, 'queued', now)
      return {existing, 1}
    end
  end
  redis.call('SET', qk(q, 'key:' .. key), id)
end
redis.call('HSET', job(id), 'id', id, 'tenant', tenant, 'queue', q, 'key', key, 'payload', payload, 'state', 'queued',
  'attempts', 0, 'max', max, 'runAt', runAt, 'token', '', 'leaseUntil', '', 'lastError', '', 'createdAt', now, 'updatedAt', now)
redis.call('ZADD', qk(q, 'due'), runAt, id)
move(q, id, nil, 'queued', now)
return {id, 1}
`;

const CLAIM = `${COMMON}
local q, limit, leaseMs, now = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local out = {}
local t = 6
local function take(id)
  local token = ARGV[t]
  t = t + 1
  local deadline = now + leaseMs
  redis.call('HINCRBY', job(id), 'attempts', 1)
  redis.call('HSET', job(id), 'state', 'running', 'token', token, 'leaseUntil', deadline, 'updatedAt', now)
  redis.call('ZADD', qk(q, 'leases'), deadline, id)
  table.insert(out, id)
  table.insert(out, token)
end
local expired = redis.call('ZRANGEBYSCORE', qk(q, 'leases'), '-inf', '(' .. now, 'LIMIT', 0, limit)
for _, id in ipairs(expired) do
  redis.call('ZREM', qk(q, 'leases'), id)
  local attempts = tonumber(redis.call('HGET', job(id), 'attempts'))
  local max = tonumber(redis.call('HGET', job(id), 'max'))
  if attempts >= max then
    redis.call('HSET', job(id), 'state', 'dead', 'token', '', 'leaseUntil', '', 'updatedAt', now,
      'lastError', 'lease expired on attempt ' .. attempts .. ' of ' .. max .. ' (worker stopped or stalled)')
    move(q, id, 'running', 'dead', now)
  else
    take(id)
  end
end
if #out / 2 < limit then
  local due = redis.call('ZRANGEBYSCORE', qk(q, 'due'), '-inf', now, 'LIMIT', 0, limit - #out / 2)
  for _, id in ipairs(due) do
    redis.call('ZREM', qk(q, 'due'), id)
    move(q, id, 'queued', 'running', now)
    take(id)
  end
end
return out
`;

const COMPLETE = `${COMMON}
local id, token, now = ARGV[2], ARGV[3], ARGV[4]
local state, held, q = unpack(redis.call('HMGET', job(id), 'state', 'token', 'queue'))
if state ~= 'running' or held ~= token then return 0 end
redis.call('HSET', job(id), 'state', 'completed', 'token', '', 'leaseUntil', '', 'lastError', '', 'updatedAt', now)
redis.call('ZREM', qk(q, 'leases'), id)
move(q, id, 'running', 'completed', now)
return 1
`;

const FAIL = `${COMMON}
local id, token, message, retryable, now = ARGV[2], ARGV[3], ARGV[4], ARGV[5] == '1', tonumber(ARGV[6])
local baseMs, maxMs, random = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
local state, held, q, attempts, max = unpack(redis.call('HMGET', job(id), 'state', 'token', 'queue', 'attempts', 'max'))
if state ~= 'running' or held ~= token then return 'lease-lost' end
redis.call('ZREM', qk(q, 'leases'), id)
attempts = tonumber(attempts)
if not retryable or attempts >= tonumber(max) then
  redis.call('HSET', job(id), 'state', 'dead', 'token', '', 'leaseUntil', '', 'lastError', message, 'updatedAt', now)
  move(q, id, 'running', 'dead', now)
  return 'dead'
end
local ceiling = math.min(maxMs, baseMs * 2 ^ math.max(0, attempts - 1))
local runAt = now + math.floor(ceiling / 2 + random * (ceiling / 2) + 0.5)
redis.call('HSET', job(id), 'state', 'queued', 'token', '', 'leaseUntil', '', 'lastError', message, 'runAt', runAt, 'updatedAt', now)
redis.call('ZADD', qk(q, 'due'), runAt, id)
move(q, id, 'running', 'queued', now)
return 'retrying'
`;

const EXTEND = `${COMMON}
local id, token, deadline = ARGV[2], ARGV[3], ARGV[4]
local state, held, q = unpack(redis.call('HMGET', job(id), 'state', 'token', 'queue'))
if state ~= 'running' or held ~= token then return 0 end
redis.call('HSET', job(id), 'leaseUntil', deadline)
redis.call('ZADD', qk(q, 'leases'), deadline, id)
return 1
`;

const REQUEUE = `${COMMON}
local id, tenant, now = ARGV[2], ARGV[3], ARGV[4]
local state, owner, q = unpack(redis.call('HMGET', job(id), 'state', 'tenant', 'queue'))
if not state or owner ~= tenant then return 'missing' end
if state ~= 'dead' then return state end
redis.call('HSET', job(id), 'state', 'queued', 'attempts', 0, 'runAt', now, 'lastError', '', 'updatedAt', now)
redis.call('ZADD', qk(q, 'due'), now, id)
move(q, id, 'dead', 'queued', now)
return 'queued'
`;

const PRUNE = `${COMMON}
local q, before, limit = ARGV[2], ARGV[3], tonumber(ARGV[4])
local n = 0
for _, state in ipairs({'completed', 'dead'}) do
  if n >= limit then break end
  local ids = redis.call('ZRANGEBYSCORE', qk(q, 'state:' .. state), '-inf', '(' .. before, 'LIMIT', 0, limit - n)
  for _, id in ipairs(ids) do
    local key = redis.call('HGET', job(id), 'key')
    if key and key ~= '' and redis.call('GET', qk(q, 'key:' .. key)) == id then
      redis.call('DEL', qk(q, 'key:' .. key))
    end
    redis.call('DEL', job(id))
    redis.call('ZREM', qk(q, 'state:' .. state), id)
    n = n + 1
  end
end
return n
`;

const SCRIPTS = {
  jqEnqueue: ENQUEUE,
  jqClaim: CLAIM,
  jqComplete: COMPLETE,
  jqFail: FAIL,
  jqExtend: EXTEND,
  jqRequeue: REQUEUE,
  jqPrune: PRUNE,
} as const;
type ScriptName = keyof typeof SCRIPTS;

function toJob(raw: Record<string, string>): Job {
  return {
    id: raw['id']!,
    tenantId: raw['tenant']!,
    queue: raw['queue']!,
    key: raw['key'] === '' || raw['key'] === undefined ? null : raw['key'],
    payload: JSON.parse(raw['payload'] ?? 'null') as unknown,
    state: raw['state'] as JobState,
    attempts: Number(raw['attempts']),
    maxAttempts: Number(raw['max']),
    runAt: Number(raw['runAt']),
    lastError: raw['lastError'] === '' || raw['lastError'] === undefined ? null : raw['lastError'],
    createdAt: Number(raw['createdAt']),
    updatedAt: Number(raw['updatedAt']),
  };
}

export function createRedisJobQueue(
  redis: Redis,
  clock: Clock,
  options: JobQueueOptions,
): JobQueue {
  for (const [name, lua] of Object.entries(SCRIPTS)) {
    if (!(name in redis)) redis.defineCommand(name, { lua, numberOfKeys: 0 });
  }
  const prefix = redis.options.keyPrefix ?? '';
  const run = (name: ScriptName, ...args: Array<string | number>) =>
    (redis as unknown as Record<ScriptName, (...a: Array<string | number>) => Promise<unknown>>)[
      name
    ](prefix, ...args);

  async function read(id: string): Promise<Job | undefined> {
    const raw = await redis.hgetall(`jq:job:${id}`);
    return raw['id'] === undefined ? undefined : toJob(raw);
  }

  return {
    async enqueue(job) {
      const now = clock.now();
      const [id, created] = (await run(
        'jqEnqueue',
        job.queue,
        job.key ?? '',
        newId('job', now),
        job.tenantId,
        JSON.stringify(job.payload ?? null),
        job.maxAttempts ?? options.defaultMaxAttempts,
        job.runAt ?? now,
        now,
      )) as [string, number];
      return { job: (await read(id))!, created: created === 1 };
    },

    async claim({ queue, workerId: _workerId, limit, leaseMs }) {
      const now = clock.now();
      const tokens = Array.from({ length: limit }, () => randomBytes(12).toString('hex'));
      const flat = (await run('jqClaim', queue, limit, leaseMs, now, ...tokens)) as string[];
      const claimed: ClaimedJob[] = [];
      for (let i = 0; i < flat.length; i += 2) {
        const job = await read(flat[i]!);
        if (job !== undefined)
          claimed.push({ ...job, leaseToken: flat[i + 1]!, leaseUntil: now + leaseMs });
      }
      return claimed;
    },

    async complete(job) {
      return (await run('jqComplete', job.id, job.leaseToken, clock.now())) === 1;
    },

    async fail(job, failure) {
      return (await run(
        'jqFail',
        job.id,
        job.leaseToken,
        failure.message,
        failure.retryable ? '1' : '0',
        clock.now(),
        options.backoffBaseMs,
        options.backoffMaxMs,
        Math.random(),
      )) as FailOutcome;
    },

    async extendLease(job, leaseMs) {
      const leaseUntil = clock.now() + leaseMs;
      const ok = (await run('jqExtend', job.id, job.leaseToken, leaseUntil)) === 1;
      if (ok) job.leaseUntil = leaseUntil;
      return ok;
    },

    async get(tenantId, jobId) {
      const job = await read(jobId);
      return job?.tenantId === tenantId ? job : undefined;
    },

    async findByKey(queue, key) {
      const id = await redis.get(`jq:${queue}:key:${key}`);
      return id === null ? undefined : read(id);
    },

    async list({ queue, state, tenantId, limit }) {
      const found: Job[] = [];
      const page = 200;
      for (let start = 0; found.length < limit; start += page) {
        const ids = await redis.zrevrange(`jq:${queue}:state:${state}`, start, start + page - 1);
        for (const id of ids) {
          const job = await read(id);
          if (job !== undefined && (tenantId === undefined || job.tenantId === tenantId))
            found.push(job);
          if (found.length >= limit) break;
        }
        if (ids.length < page) break;
      }
      return found;
    },

    async requeue(tenantId, jobId) {
      const outcome = (await run('jqRequeue', jobId, tenantId, clock.now())) as string;
      if (outcome === 'missing') throw new AppError('JOB_NOT_FOUND', `No job ${jobId}.`);
      if (outcome !== 'queued') {
        throw new AppError(
          'INVALID_STATE',
          `Job ${jobId} is ${outcome}; only dead jobs can be requeued.`,
        );
      }
      return (await read(jobId))!;
    },

    async pruneFinished({ queue, finishedBefore, limit }) {
      return Number(await run('jqPrune', queue, finishedBefore, limit));
    },

    async counts(queue) {
      const states: JobState[] = ['queued', 'running', 'completed', 'dead'];
      const pipeline = redis.pipeline();
      for (const state of states) pipeline.zcard(`jq:${queue}:state:${state}`);
      const results = (await pipeline.exec()) ?? [];
      const counts: Record<JobState, number> = { queued: 0, running: 0, completed: 0, dead: 0 };
      states.forEach((state, i) => {
        counts[state] = Number(results[i]?.[1] ?? 0);
      });
      return counts;
    },
  };
}
