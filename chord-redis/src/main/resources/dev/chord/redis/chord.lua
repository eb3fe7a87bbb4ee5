-- Chord's one server-side script: every write, sync and incremental read of one context runs
-- here, atomically. (A node's first read of a context is plain HMGET/HGETALL/HMGET; see 'get'.)
--
-- KEYS[1] meta  hash   v (version), at (insertedAt), e (epoch), id
-- KEYS[2] data  hash   JSON Pointer of every node of the context -> typed JSON ('{}' marks a map)
-- KEYS[3] log   stream one entry per stored delta, ID '<version>-0', fields at, d (the message)
-- All three share the hash tag of the context, so one script call touches one cluster slot.
-- Epochs and times are Chord's, stored as given: the epoch names the incarnation (Chord draws one
-- on create and on restore), insertedAt is in milliseconds. The log always belongs to the stored
-- incarnation (create, restore and delete drop it), so its entries carry no epoch of their own.
-- The context's channel gets, in the same atomic step as the change:
--   'd <epoch> <delta message>'  for a commit
--   'r <epoch> <version>'        for a restore (the new epoch and version)
--   'r <epoch> 0'                for a delete (the deleted epoch)
--
-- Every reply is an array (empty: the context does not exist). ARGV[1] is the operation, ARGV[2]
-- and ARGV[3] the version and epoch the caller already holds ('' if none): replies that carry the
-- context send only what the caller lacks. That copy is an optimisation only: what a write may
-- do is decided here, against what is stored.
-- Versions are compared as strings, so they are exact at any size; arithmetic on them (how far
-- behind a caller is) only decides how much to send, never what is stored.

local meta, data, log = KEYS[1], KEYS[2], KEYS[3]
local op, knownVersion, knownEpoch = ARGV[1], ARGV[2], ARGV[3]

-- Lua's unpack() is limited to a few thousand values: write long argument lists in chunks.
local CHUNK = 1000
local function chunked(command, key, first, last, step)
  local i = first
  while i <= last do
    local j = math.min(i + CHUNK * step - 1, last)
    redis.call(command, key, unpack(ARGV, i, j))
    i = j + 1
  end
end

-- The context as the caller needs it: 'same' if it holds the head, 'deltas' if the log has every
-- version after the one it holds (at most maxBehind of them), else 'full'. A full reply carries the
-- data only if withData is set (as a JSON array [field, value, …]): building a Lua table of a large
-- hash costs Redis several times what a plain HGETALL does, so clients normally read full contexts
-- with HGETALL between two HMGETs of the head, and ask for data here only as a fallback.
local function head(v, at, e, maxBehind, withData)
  if knownEpoch == e and knownVersion ~= '' then
    if knownVersion == v then
      return {'same', v, at, e}
    end
    local behind = tonumber(v) - tonumber(knownVersion)
    if behind > 0 and behind <= maxBehind then
      -- The log is a contiguous run ending at v: 'behind' entries above knownVersion are exactly
      -- the versions the caller lacks.
      local entries = redis.call('XRANGE', log, '(' .. knownVersion .. '-0', '+', 'COUNT', behind)
      if #entries == behind then
        return {'deltas', v, at, e, entries}
      end
    end
  end
  if withData then
    -- cjson writes an empty table as '{}'.
    return {'full', v, at, e, cjson.encode(redis.call('HGETALL', data))}
  end
  return {'full', v, at, e}
end

local function drop()
  return redis.call('DEL', meta, data, log)
end

if op == 'get' then
  -- ARGV: 4 max deltas to send instead of the context, 5 '1' to include the data in a full reply.
  local h = redis.call('HMGET', meta, 'v', 'at', 'e')
  if not h[1] then
    return {}
  end
  return head(h[1], h[2], h[3], tonumber(ARGV[4]), ARGV[5] == '1')

elseif op == 'commit' then
  -- ARGV: 4 expected version ('0': create, the context must be absent), 5 expected epoch (the
  -- stored one it was computed from; '' only for a create), 6 epoch of the new version (a create's
  -- new epoch; for an update the expected one), 7 new version, 8 insertedAt, 9 max deltas,
  -- 10 message, 11 channel, 12 context id, 13 max deltas in a conflict reply, 14 number of fields
  -- to delete, then those fields, then field/value pairs to set.
  local expected, expectedEpoch, epoch = ARGV[4], ARGV[5], ARGV[6]
  if epoch == '' or (expected ~= '0' and expectedEpoch ~= epoch) then
    -- Never a write that does not name the incarnation it was computed from: version numbers
    -- repeat across incarnations, so the version alone could match another one's.
    return redis.error_reply('chord: an update must name its expected epoch, and keep it')
  end
  local h = redis.call('HMGET', meta, 'v', 'at', 'e')
  if expected == '0' then
    if h[1] then
      return {'conflict', head(h[1], h[2], h[3], tonumber(ARGV[13]), false)}
    end
    -- Leftovers of an interrupted history must not leak into a new context.
    drop()
    redis.call('HSET', meta, 'id', ARGV[12], 'e', epoch)
  elseif h[1] ~= expected or h[3] ~= expectedEpoch then
    if not h[1] then
      return {'conflict'}
    end
    return {'conflict', head(h[1], h[2], h[3], tonumber(ARGV[13]), false)}
  end
  local deletes = tonumber(ARGV[14])
  if deletes > 0 then
    chunked('HDEL', data, 15, 14 + deletes, 1)
  end
  if #ARGV > 14 + deletes then
    chunked('HSET', data, 15 + deletes, #ARGV, 2)
  end
  redis.call('HSET', meta, 'v', ARGV[7], 'at', ARGV[8])
  redis.call('XADD', log, 'MAXLEN', ARGV[9], ARGV[7] .. '-0', 'at', ARGV[8], 'd', ARGV[10])
  redis.call('PUBLISH', ARGV[11], 'd ' .. epoch .. ' ' .. ARGV[10])
  return {'ok'}

elseif op == 'history' then
  -- ARGV: 4 after version, 5 max deltas. Reply: version, insertedAt, epoch, entries after that
  -- version.
  local h = redis.call('HMGET', meta, 'v', 'at', 'e')
  if not h[1] then
    return {}
  end
  local behind = tonumber(h[1]) - tonumber(ARGV[4])
  local entries = {}
  if behind >= 1 and behind <= tonumber(ARGV[5]) then
    entries = redis.call('XRANGE', log, '(' .. ARGV[4] .. '-0', '+', 'COUNT', behind)
  end
  return {h[1], h[2], h[3], entries}

elseif op == 'restore' then
  -- ARGV: 4 version, 5 insertedAt, 6 epoch, 7 context id, 8 channel, then field/value pairs.
  drop()
  if #ARGV > 8 then
    chunked('HSET', data, 9, #ARGV, 2)
  end
  redis.call('HSET', meta, 'v', ARGV[4], 'at', ARGV[5], 'e', ARGV[6], 'id', ARGV[7])
  redis.call('PUBLISH', ARGV[8], 'r ' .. ARGV[6] .. ' ' .. ARGV[4])
  return {1}

elseif op == 'delete' then
  -- ARGV: 4 the version and 5 the epoch it must be at ('' '' for any), 6 channel.
  local h = redis.call('HMGET', meta, 'v', 'e')
  if not h[1] or (ARGV[4] ~= '' and (h[1] ~= ARGV[4] or h[2] ~= ARGV[5])) then
    return {0}
  end
  drop()
  redis.call('PUBLISH', ARGV[6], 'r ' .. h[2] .. ' 0')
  return {1}

elseif op == 'trim' then
  -- ARGV: 4 insertedBefore (milliseconds, as stored). Drops the oldest entries while they are
  -- older than that.
  local cutoff = tonumber(ARGV[4])
  local dropped = 0
  while true do
    local entries = redis.call('XRANGE', log, '-', '+', 'COUNT', 100)
    local old = {}
    for _, entry in ipairs(entries) do
      -- Fields are written as at, d: entry[2][2] is insertedAt.
      if tonumber(entry[2][2]) >= cutoff then
        break
      end
      old[#old + 1] = entry[1]
    end
    if #old > 0 then
      redis.call('XDEL', log, unpack(old))
      dropped = dropped + #old
    end
    if #old < 100 then
      return {dropped}
    end
  end
end
return redis.error_reply('unknown chord operation ' .. tostring(op))
