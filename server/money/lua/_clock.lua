-- Redis's own clock in milliseconds: every script dates what it writes by the server it runs
-- on, never by a client's clock, so records and expiries agree whoever called. Read once per
-- call: a script is one atomic step, so all it writes carries one time.
local NOW_MS = nil
local function now_ms()
  if not NOW_MS then
    local t = redis.call('TIME')
    NOW_MS = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  end
  return NOW_MS
end
