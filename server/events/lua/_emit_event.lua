-- Append one event to a shard's event stream (`{s:K}:events`, in the player's slot), in the
-- JSON shape server/events/catalogue.py decodes, in the script that makes the change: the
-- event exists exactly when the change does. Integers are written with %d, never through
-- cjson (which writes numbers past 14 digits as 9.007199254741e+14); strings and booleans
-- through cjson, which escapes them. Lua numbers are doubles: integers are exact up to 2^53.
--   emit_event(stream, kind, id, player_id, at_ms, fields[, version])
-- `fields` is a flat list: name, value, name, value, ...; a number value is an integer. A name
-- is a plain identifier written by a script, quoted as it is.
-- `version` defaults to 1; a script passes another only for a kind whose catalogue class of
-- that version exists (round_settled and provider are version 2: they carry `free`).
--
-- Pushes: a script that emits calls `push_into(pushes, sessions)` first, with the shard's push
-- stream and the player's sessions set (server/events/stream.py `push_keys_of`, always its
-- last two KEYS). Every event is then also appended to the push stream, which the push relay
-- reads (server/events/push.py builds the push), except a round's own events (`stake`,
-- `round_settled`) when the player has no other session open: the session that played has
-- the new balance in its reply already, and a bet path without listeners must cost the relay
-- nothing. A script whose reply also carries the bonus progress (spin.lua) passes
-- `replies_progress`: its `bonus_wagered` event is then one of its own too.
local PUSHES, SESSIONS, OTHERS_OPEN = nil, nil, nil
local OWN_REPLY = {stake = true, round_settled = true}

local function push_into(pushes, sessions, replies_progress)
  PUSHES, SESSIONS = pushes, sessions
  if replies_progress then
    OWN_REPLY = {stake = true, round_settled = true, bonus_wagered = true}
  end
end

local function pushed(kind)
  if not PUSHES then
    return false
  end
  if not OWN_REPLY[kind] then
    return true
  end
  if OTHERS_OPEN == nil then
    OTHERS_OPEN = redis.call('ZCARD', SESSIONS) > 1
  end
  return OTHERS_OPEN
end

local function emit_event(stream, kind, id, player_id, at_ms, fields, version)
  local parts = {
    '"kind":"' .. kind .. '"',
    '"version":' .. string.format('%d', version or 1),
    '"id":' .. cjson.encode(id),
    '"player_id":' .. string.format('%d', player_id),
    '"at_ms":' .. string.format('%d', at_ms),
  }
  for i = 1, #fields, 2 do
    local value = fields[i + 1]
    if type(value) == 'number' then
      value = string.format('%d', value)
    else
      value = cjson.encode(value)
    end
    parts[#parts + 1] = '"' .. fields[i] .. '":' .. value
  end
  local event = '{' .. table.concat(parts, ',') .. '}'
  if pushed(kind) then
    redis.call('XADD', PUSHES, 'MAXLEN', '~', @PUSH_MAX_LENGTH@, '*', 'event', event)
  end
  return redis.call('XADD', stream, 'MAXLEN', '~', @MAX_LENGTH@, '*', 'event', event)
end
