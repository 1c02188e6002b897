-- The sub-balance rule, the Lua twin of server/money/balances.py (read its invariants there;
-- tests/test_balances_lua.py holds the two equal). Included by every script that takes a
-- stake (spin, reserve, step, provider_bet) or pays one back or out (spin, settle, release,
-- provider_win, provider_rollback), so the spending order lives in one place; and for
-- `sub_balances` alone (the cash, or no wallet) by the scripts that move cash only (adjust,
-- closed_payable, withdraw_lock).
-- A wallet hash holds `cash`, `bonus`, `held` and `locked`; an absent `bonus` is 0, so a wallet
-- written before bonuses existed needs no migration, and a script that moves no bonus never
-- writes the field.

-- floor(a * b / c) exactly, for 0 <= a < c and 0 <= b <= c < 2^52. Redis Lua numbers are
-- doubles, and a * b may pass 2^53 (amounts go up to 10^12), so the product is built one bit
-- of b at a time as quotient and remainder, neither of which ever passes 2c.
local function mul_div_floor(a, b, c)
  local bits = {}
  while b > 0 do
    local bit = b % 2
    bits[#bits + 1] = bit
    b = (b - bit) / 2
  end
  local q, r = 0, 0
  for i = #bits, 1, -1 do
    q, r = q * 2, r * 2
    if r >= c then
      q, r = q + 1, r - c
    end
    if bits[i] == 1 then
      r = r + a
      if r >= c then
        q, r = q + 1, r - c
      end
    end
  end
  return q
end

-- The wallet's cash (nil when Redis holds no wallet) and bonus.
local function sub_balances(wallet)
  local w = redis.call('HMGET', wallet, 'cash', 'bonus')
  if not w[1] then
    return nil, 0
  end
  return tonumber(w[1]), tonumber(w[2] or '0')
end

-- The parts of a stake the wallet can cover: cash first, then bonus. The caller has checked
-- that cash + bonus covers it.
local function split_stake(stake, cash)
  local from_cash = math.min(stake, math.max(cash, 0))
  return from_cash, stake - from_cash
end

-- The parts of a payout for a stake of which `from_bonus` was bonus: bonus gets
-- payout * from_bonus // stake, cash the rest; a zero stake pays cash only.
local function split_payout(payout, stake, from_bonus)
  if stake == 0 or from_bonus == 0 then
    return payout, 0
  end
  local q = math.floor(payout / stake)
  local r = payout - q * stake
  if r < 0 then
    q, r = q - 1, r + stake
  elseif r >= stake then
    q, r = q + 1, r - stake
  end
  local to_bonus = q * from_bonus + mul_div_floor(r, from_bonus, stake)
  return payout - to_bonus, to_bonus
end

-- Move the wallet's cash and bonus by these deltas; the cash after. `+ 0` turns a -0 (the
-- negated part of a stake that took nothing from it) into 0: Lua would send it as "-0",
-- which Redis refuses as no integer.
local function move_sub_balances(wallet, d_cash, d_bonus)
  if d_bonus ~= 0 then
    redis.call('HINCRBY', wallet, 'bonus', d_bonus)
  end
  return redis.call('HINCRBY', wallet, 'cash', d_cash + 0)
end
