// The event stream's Lua scripts (event-stream.ts): each runs atomically in Redis, so an append
// checks the backlog and adds in one step, an acknowledgement deletes what it acknowledges, and a
// dead letter or a replay moves an entry between the streams without a moment in both or neither.

// KEYS[1] stream; ARGV[1] maxBacklog, then tenant, payload pairs. Returns the new ids, or
// {'full', backlog} and appends nothing.
export const APPEND_SCRIPT = `
local backlog = redis.call('XLEN', KEYS[1])
if backlog >= tonumber(ARGV[1]) then return {'full', backlog} end
local ids = {}
for i = 2, #ARGV, 2 do
  ids[#ids + 1] = redis.call('XADD', KEYS[1], '*', 't', ARGV[i], 'e', ARGV[i + 1])
end
return ids
`;

// KEYS[1] stream; ARGV[1] group, then ids. XACK + XDEL: the backlog is XLEN.
export const ACK_SCRIPT = `
local ids = {}
for i = 2, #ARGV do ids[#ids + 1] = ARGV[i] end
redis.call('XACK', KEYS[1], ARGV[1], unpack(ids))
redis.call('XDEL', KEYS[1], unpack(ids))
return #ids
`;

// KEYS[1] stream, KEYS[2] dead letters; ARGV group, max, id, tenant, payload, error, at, count.
// Returns the dead letter's id, or false (refused: the list is full; nothing changed).
export const DEAD_LETTER_SCRIPT = `
if redis.call('XLEN', KEYS[2]) >= tonumber(ARGV[2]) then return false end
-- XACK first: without the group (NOGROUP) the script fails before writing anything.
redis.call('XACK', KEYS[1], ARGV[1], ARGV[3])
local id = redis.call('XADD', KEYS[2], '*', 't', ARGV[4], 'e', ARGV[5], 'err', ARGV[6], 'at', ARGV[7], 'oid', ARGV[3], 'n', ARGV[8])
redis.call('XDEL', KEYS[1], ARGV[3])
return id
`;

// KEYS[1] stream, KEYS[2] dead letters; ARGV[1] maxBacklog, then dead-letter ids. Moves the
// entries back to the stream; refuses all ({'full', backlog}) when the backlog is at its bound.
export const REPLAY_SCRIPT = `
local backlog = redis.call('XLEN', KEYS[1])
if backlog >= tonumber(ARGV[1]) then return {'full', backlog} end
local moved = 0
for i = 2, #ARGV do
  local found = redis.call('XRANGE', KEYS[2], ARGV[i], ARGV[i])
  if #found == 1 then
    local f = found[1][2]
    local t, e
    for j = 1, #f, 2 do
      if f[j] == 't' then t = f[j + 1] elseif f[j] == 'e' then e = f[j + 1] end
    end
    redis.call('XADD', KEYS[1], '*', 't', t, 'e', e)
    redis.call('XDEL', KEYS[2], ARGV[i])
    moved = moved + 1
  end
end
return moved
`;
