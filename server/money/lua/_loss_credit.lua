-- Money back to the player counts against their net loss (layout: _loss_limit.lua). Included
-- by settle, release, provider_win, provider_rollback and spin.
--#include _loss_buckets
local function rg_credit(key, amount, now)
  if amount ~= 0 and rg_counting(key) then
    rg_add(key, -amount, now)
  end
end
