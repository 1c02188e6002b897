-- Redis's own clock in milliseconds: every script dates what it writes by the server it runs
-- on, never by a client's clock, so records and expiries agree whoever called.
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
