-- Responsible gambling on the stake path, in the same atomic step as the move: a time-out or
-- self-exclusion refuses every stake, and a loss limit refuses a stake that, lost whole, would
-- take the player's net loss in a window past the limit. Included by every script that takes
-- a stake (spin, reserve, step, provider_bet: `rg_refusal`, then `rg_count_stake` once every
-- other rule let it through) or gives money back (spin, settle,
-- release, provider_win, provider_rollback: `rg_credit` in _loss_credit), so two sessions, two processes or a
-- provider bet racing a spin all meet one check. The key is the player's `{s:K}:p:ID:rg` hash
-- (server/money/keys.py `rg`, written by server/rg/state.py): `blocked_until` (ms), the limits
-- `loss_24h`, `loss_7d`, `loss_30d` (minor units) and net-loss buckets `h:HOUR` and `d:DAY`
-- (HOUR and DAY counted from the epoch). A stake counts as lost until its round settles; a win,
-- a void or a rollback counts back. Windows are conservative: the last 24 hours are the 25
-- hour buckets that cover them, 7 and 30 days the 8 and 31 day buckets. A player with no hash
-- (no limit, no exclusion) costs one EXISTS per call.
--#include _loss_buckets
-- nil when a stake of `amount` may be taken, or the script's refusal to return. Writes
-- nothing: a script checks every rule (this one, the bonus's) before it counts anything.
local function rg_refusal(key, amount, now)
  local f = rg_limits(key)
  if not f then
    return nil
  end
  if f[1] and now < tonumber(f[1]) then
    return {'PLAY_BLOCKED'}
  end
  if not (f[2] or f[3] or f[4]) then
    return nil
  end
  local hour = math.floor(now / RG_HOUR)
  local day = math.floor(now / RG_DAY)
  if (f[2] and rg_window(key, 'h:', hour, 24) + amount > tonumber(f[2]))
      or (f[3] and rg_window(key, 'd:', day, 7) + amount > tonumber(f[3]))
      or (f[4] and rg_window(key, 'd:', day, 30) + amount > tonumber(f[4])) then
    return {'LOSS_LIMIT_REACHED'}
  end
  return nil
end

-- Count a stake that is being taken as lost until its round settles (while a limit is set).
local function rg_count_stake(key, amount, now)
  if amount > 0 and rg_counting(key) then
    rg_add(key, amount, now)
  end
end
