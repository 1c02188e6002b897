-- The net-loss buckets of a player's rg hash, shared by _loss_limit (stakes) and _loss_credit
-- (money back); the layout is described in _loss_limit.lua.
local RG_HOUR = 3600000
local RG_DAY = 86400000

-- The limits' fields of a player's rg hash (blocked_until, loss_24h, loss_7d, loss_30d), or
-- false with no hash, read once per call: a spin asks three times (its check, its stake, its
-- win), and no script changes them (server/rg/state.py writes them outside the money path).
local RG_LIMITS = {}
local function rg_limits(key)
  local f = RG_LIMITS[key]
  if f == nil then
    f = redis.call('EXISTS', key) == 1 and
      redis.call('HMGET', key, 'blocked_until', 'loss_24h', 'loss_7d', 'loss_30d')
    RG_LIMITS[key] = f
  end
  return f
end

-- Whether a loss limit is set: net losses are counted only then.
local function rg_counting(key)
  local f = rg_limits(key)
  return f and (f[2] or f[3] or f[4]) and true or false
end

local function rg_window(key, prefix, last, count)
  local fields = {}
  for i = last - count, last do
    fields[#fields + 1] = prefix .. i
  end
  local total = 0
  for _, v in ipairs(redis.call('HMGET', key, unpack(fields))) do
    if v then
      total = total + tonumber(v)
    end
  end
  return total
end

-- Add `delta` to the current buckets; when a new hour starts, forget buckets no window reads.
local function rg_add(key, delta, now)
  local hour = math.floor(now / RG_HOUR)
  local day = math.floor(now / RG_DAY)
  if redis.call('HEXISTS', key, 'h:' .. hour) == 0 then
    for _, field in ipairs(redis.call('HKEYS', key)) do
      local kind, n = string.match(field, '^([hd]):(%-?%d+)$')
      if (kind == 'h' and tonumber(n) < hour - 25) or (kind == 'd' and tonumber(n) < day - 31) then
        redis.call('HDEL', key, field)
      end
    end
  end
  redis.call('HINCRBY', key, 'h:' .. hour, delta)
  redis.call('HINCRBY', key, 'd:' .. day, delta)
end

