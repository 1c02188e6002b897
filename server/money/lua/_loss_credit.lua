-- Money back to the player counts against their net loss (layout: _loss_limit.lua). Included
-- by settle, release, provider_win, provider_rollback and spin.
--#include _loss_buckets
local function rg_credit(key, amount, now)
  if amount == 0 or redis.call('EXISTS', key) == 0 then
    return
  end
  local f = redis.call('HMGET', key, 'loss_24h', 'loss_7d', 'loss_30d')
  if f[1] or f[2] or f[3] then
    rg_add(key, -amount, now)
  end
end
