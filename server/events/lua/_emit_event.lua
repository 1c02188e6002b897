-- Append one event to a shard's event stream (`{s:K}:events`, in the player's slot), in the
-- JSON shape server/events/catalogue.py decodes, in the script that makes the change: the
-- event exists exactly when the change does. Integers are written with %d, never through
-- cjson (which writes numbers past 14 digits as 9.007199254741e+14); strings through cjson,
-- which escapes them. Lua numbers are doubles: integers are exact up to 2^53.
--   emit_event(stream, max_length, kind, version, id, player_id, at_ms, fields)
-- `fields` is a flat list: name, value, name, value, ...; a number value is an integer.
local function emit_event(stream, max_length, kind, version, id, player_id, at_ms, fields)
  local parts = {
    '"kind":' .. cjson.encode(kind),
    '"version":' .. string.format('%d', version),
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
    parts[#parts + 1] = cjson.encode(fields[i]) .. ':' .. value
  end
  return redis.call('XADD', stream, 'MAXLEN', '~', max_length, '*',
    'event', '{' .. table.concat(parts, ',') .. '}')
end

-- The script's own clock, ms since the epoch (the time the change was made).
local function event_now_ms()
  local clock = redis.call('TIME')
  return tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
end
