-- Back-pressure, included by every script that takes a new stake (reserve, spin,
-- provider_bet): while the flusher is behind, with too many rounds not yet durable or the
-- oldest of them waiting too long, take nothing new rather than let the backlog, or the time
-- to make it durable, grow unbounded. True when the stake must be refused.
--#include _clock
local function flusher_behind(stream, max_backlog, max_lag_ms)
  local backlog = redis.call('XLEN', stream)
  if backlog > tonumber(max_backlog) then
    return true
  end
  if backlog == 0 then
    return false
  end
  local oldest = redis.call('XRANGE', stream, '-', '+', 'COUNT', 1)[1][1]
  local waited = now_ms() - tonumber(string.match(oldest, '^%d+'))
  return waited > tonumber(max_lag_ms)
end
