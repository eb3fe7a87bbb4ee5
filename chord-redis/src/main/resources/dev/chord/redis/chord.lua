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
-- Every reply is an array (empty: the context does not exist). Replies that carry the context
-- send only what the caller lacks, given the copy it holds (knownVersion, knownEpoch). That copy
-- is an optimisation only: what a write may do is decided here, against what is stored.
-- Versions are compared as strings, so they are exact at any size; arithmetic on them (how far
-- behind a caller is) only decides how much to send, never what is stored.
--
-- ARGV: the same slots for every operation, '' where an operation reads none, and the slots after
-- the last one it reads left out (a 'get' sends 4 or 5 arguments, not 17). Each operation binds
-- the slots it reads to locals of these names, and only those: Redis runs this on every call.
-- ScriptCall.java, the one place on the Java side that knows these positions, fills them by name:
--   1 op               get | commit | history | restore | delete | trim
--   2 knownVersion     get, commit: version of the copy the caller holds ('' if none)
--   3 knownEpoch       get, commit: epoch of that copy
--   4 maxBehind        get, commit, history: most deltas a reply sends instead of the context
--   5 withData         get: '1' to include the data in a full reply
--   6 expectedVersion  commit: the stored version the write needs ('0': a create, the context
--                      must be absent); delete: the version it must be at ('' for any);
--                      restore: '0' to restore only if the context is absent
--   7 expectedEpoch    commit: the stored epoch the write was computed from ('' only for a
--                      create); delete: the epoch it must be at
--   8 version          commit: the new version; restore: the restored version
--   9 epoch            commit: the new version's epoch (a create's new one, for an update the
--                      expected one); restore: the restored epoch
--  10 insertedAt       commit, restore: milliseconds
--  11 maxDeltas        commit: how many deltas the log keeps
--  12 afterVersion     history: send the deltas after this version
--  13 insertedBefore   trim: drop log entries older than this (milliseconds)
--  14 id               commit, restore: the context id
--  15 channel          commit, restore, delete: the context's channel
--  16 message          commit: the delta message
--  17 deleteCount      commit: how many of the fields below to delete
--  18 …                commit: deleteCount field names to delete, then field/value pairs to set;
--                      restore: field/value pairs

local meta, data, log = KEYS[1], KEYS[2], KEYS[3]
-- Read by head(), so by every operation that replies with it.
local op, knownVersion, knownEpoch = ARGV[1], ARGV[2] or '', ARGV[3] or ''
local maxBehind, withData = tonumber(ARGV[4] or ''), ARGV[5] == '1'
local FIELDS = 18

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
local function head(v, at, e)
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
  local h = redis.call('HMGET', meta, 'v', 'at', 'e')
  if not h[1] then
    return {}
  end
  return head(h[1], h[2], h[3])

elseif op == 'commit' then
  -- Reply: {'ok'}, or {'conflict', head} with what the caller lacks of the stored context, or
  -- {'conflict'} if there is none.
  local expectedVersion, expectedEpoch, version, epoch = ARGV[6], ARGV[7], ARGV[8], ARGV[9]
  local insertedAt, maxDeltas = ARGV[10], ARGV[11]
  local id, channel, message, deleteCount = ARGV[14], ARGV[15], ARGV[16], tonumber(ARGV[17] or '0')
  if epoch == '' or (expectedVersion ~= '0' and expectedEpoch ~= epoch) then
    -- Never a write that does not name the incarnation it was computed from: version numbers
    -- repeat across incarnations, so the version alone could match another one's.
    return redis.error_reply('chord: an update must name its expected epoch, and keep it')
  end
  local h = redis.call('HMGET', meta, 'v', 'at', 'e')
  if expectedVersion == '0' then
    if h[1] then
      return {'conflict', head(h[1], h[2], h[3])}
    end
    -- Leftovers of an interrupted history must not leak into a new context.
    drop()
    redis.call('HSET', meta, 'id', id, 'e', epoch)
  elseif h[1] ~= expectedVersion or h[3] ~= expectedEpoch then
    if not h[1] then
      return {'conflict'}
    end
    return {'conflict', head(h[1], h[2], h[3])}
  end
  if deleteCount > 0 then
    chunked('HDEL', data, FIELDS, FIELDS + deleteCount - 1, 1)
  end
  if #ARGV >= FIELDS + deleteCount then
    chunked('HSET', data, FIELDS + deleteCount, #ARGV, 2)
  end
  redis.call('HSET', meta, 'v', version, 'at', insertedAt)
  redis.call('XADD', log, 'MAXLEN', maxDeltas, version .. '-0', 'at', insertedAt, 'd', message)
  redis.call('PUBLISH', channel, 'd ' .. epoch .. ' ' .. message)
  return {'ok'}

elseif op == 'history' then
  -- Reply: version, insertedAt, epoch, the log entries after afterVersion (none if more than
  -- maxBehind).
  local afterVersion = ARGV[12]
  local h = redis.call('HMGET', meta, 'v', 'at', 'e')
  if not h[1] then
    return {}
  end
  local behind = tonumber(h[1]) - tonumber(afterVersion)
  local entries = {}
  if behind >= 1 and behind <= maxBehind then
    entries = redis.call('XRANGE', log, '(' .. afterVersion .. '-0', '+', 'COUNT', behind)
  end
  return {h[1], h[2], h[3], entries}

elseif op == 'restore' then
  local expectedVersion = ARGV[6]
  local version, epoch, insertedAt, id, channel = ARGV[8], ARGV[9], ARGV[10], ARGV[14], ARGV[15]
  if expectedVersion == '0' and redis.call('EXISTS', meta) == 1 then
    return {0}
  end
  drop()
  if #ARGV >= FIELDS then
    chunked('HSET', data, FIELDS, #ARGV, 2)
  end
  redis.call('HSET', meta, 'v', version, 'at', insertedAt, 'e', epoch, 'id', id)
  redis.call('PUBLISH', channel, 'r ' .. epoch .. ' ' .. version)
  return {1}

elseif op == 'delete' then
  local expectedVersion, expectedEpoch, channel = ARGV[6], ARGV[7], ARGV[15]
  local h = redis.call('HMGET', meta, 'v', 'e')
  if not h[1] or (expectedVersion ~= '' and (h[1] ~= expectedVersion or h[2] ~= expectedEpoch)) then
    return {0}
  end
  drop()
  redis.call('PUBLISH', channel, 'r ' .. h[2] .. ' 0')
  return {1}

elseif op == 'trim' then
  -- Drops the oldest entries while they are older than insertedBefore.
  local insertedBefore = ARGV[13]
  local cutoff = tonumber(insertedBefore)
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
