-- The bonus engine's rules inside the money scripts (server/bonus/ owns the terms; this include
-- applies them atomically with the move). A player's active wagering bonus lives in one hash in
-- the player's slot (server/money/keys.py `bonus`): state ('active' or 'ended'), award id,
-- max_stake (0: none), required and wagered (both in minor units x 100, so a 10 % weight counts
-- exactly), expires_at (ms), cap (what may still convert to cash; absent: no cap), leftover ('converted' or
-- 'forfeited': what happens to bonus money that comes back after the bonus ended, from a stake
-- that was in play then), and `w:<game>` / `w:<class>` contribution weights in percent; a game
-- with neither is ineligible and counts nothing. No hash: no bonus, nothing is checked.
--#include _emit_event

-- Bonus hashes found missing in this call: a script never creates one after reading it
-- (bonus_grant writes its own), so a spin of a player without a bonus reads nothing twice.
local BONUS_ABSENT = {}
-- The hash's `fields` (the first is always `state`), or nil when the player has no bonus.
local function bonus_read(bkey, ...)
  if not bkey or BONUS_ABSENT[bkey] then
    return nil
  end
  local b = redis.call('HMGET', bkey, ...)
  if not b[1] then
    BONUS_ABSENT[bkey] = true
    return nil
  end
  return b
end

-- Tell the player's sessions how far the wagering has come: a `bonus_wagered` event (the push
-- relay turns it into a `bonus_progress` push: server/events/push.py) after `counted`
-- hundredths were added (or taken back: negative). `ev` is {stream, player_id, currency, id}.
local function bonus_progress(ev, award, counted, wagered, required, now)
  emit_event(ev[1], 'bonus_wagered', ev[4], ev[2], now,
    {'award', award, 'counted', counted, 'wagered', wagered, 'required', required,
     'currency', ev[3]})
end

-- A stake of `amount` (the round's whole stake `total` for the max-stake check) on `game` of
-- weight class `class`: the max stake it breaks (the caller refuses, nothing moved), or nil
-- once its wagering is counted, then the hundredths it counted (0: none) and the award they
-- count for, which the caller keeps with the stake so that a void or rollback takes back
-- exactly this (`bonus_unwager`), then (when it counted) the hundredths wagered and required
-- since, for a reply that carries the progress. Counting appends the progress event (`ev`,
-- see bonus_progress). Call it after every other check, right before the move.
local function bonus_wager(bkey, game, class, amount, total, now, ev)
  local b = bonus_read(bkey, 'state', 'max_stake', 'expires_at', 'w:' .. game, 'w:' .. class,
    'award', 'required')
  if not b or b[1] ~= 'active' or now >= tonumber(b[3]) then
    return nil, 0, ''
  end
  local max_stake = tonumber(b[2])
  if max_stake > 0 and total > max_stake then
    return max_stake, 0, ''
  end
  local weight = tonumber(b[4] or b[5] or '0')
  if weight > 0 and amount > 0 then
    local counted = amount * weight
    local wagered = redis.call('HINCRBY', bkey, 'wagered', counted)
    bonus_progress(ev, tonumber(b[6]), counted, wagered, tonumber(b[7]), now)
    return nil, counted, b[6], wagered, tonumber(b[7])
  end
  return nil, 0, ''
end

-- A voided round's or rolled-back bet's stake counts no more: take back the `counted`
-- hundredths it added, while the award it counted for is still being wagered (once that
-- bonus ended, its outcome stands). Appends the progress event like bonus_wager.
local function bonus_unwager(bkey, award, counted, now, ev)
  if not bkey or not counted or counted <= 0 or not award or award == '' then
    return
  end
  local b = redis.call('HMGET', bkey, 'state', 'award', 'required')
  if b[1] ~= 'active' or b[2] ~= award then
    return
  end
  local wagered = redis.call('HINCRBY', bkey, 'wagered', -counted)
  bonus_progress(ev, tonumber(award), -counted, wagered, tonumber(b[3]), now)
end

-- Whether this spin is one of the active bonus's free spins: the named game at the named stake
-- (fields fs_game, fs_stake, fs_left), while any are left and the bonus has not expired.
local function bonus_free_spin_due(bkey, game, stake, now)
  local b = bonus_read(bkey, 'state', 'expires_at', 'fs_left', 'fs_game', 'fs_stake')
  return b ~= nil and b[1] == 'active' and now < tonumber(b[2]) and tonumber(b[3] or '0') > 0
    and b[4] == game and tonumber(b[5]) == stake
end

-- Whether the campaign award `award` (a provider's free-bet reward) is the active bonus and has
-- free rounds left to play: a free bet naming its reward plays only then.
local function bonus_reward_due(bkey, award, now)
  if not bkey then
    return false
  end
  local b = redis.call('HMGET', bkey, 'state', 'award', 'expires_at', 'fs_left')
  return b[1] == 'active' and b[2] == award and now < tonumber(b[3])
    and tonumber(b[4] or '0') > 0
end

-- Play a free spin the caller found due: the promotion funds its stake (bonus cost -> bonus,
-- on the journal before the round, so the ledger's bonus account never dips), and its win adds
-- `fs_wagering` times itself to the wagering required. Returns the stake's parts: all bonus.
local function bonus_free_spin(wallet, bkey, journal, player_id, currency, stake, payout, now)
  local award = redis.call('HGET', bkey, 'award')
  local left = redis.call('HINCRBY', bkey, 'fs_left', -1)
  local mult = tonumber(redis.call('HGET', bkey, 'fs_wagering') or '0')
  if payout > 0 and mult > 0 then
    redis.call('HINCRBY', bkey, 'required', payout * mult * 100)
  end
  redis.call('HINCRBY', wallet, 'bonus', stake)
  redis.call('XADD', journal, '*', 'kind', 'bonus_move',
    'key', 'bonus:' .. award .. ':fs' .. left, 'award', award, 'movement', 'free_spin',
    'player_id', player_id, 'currency', currency, 'cash', 0, 'bonus', stake, 'created_at', now)
  return 0, stake
end

-- A provider's free round (a bet flagged is_free, as aggregators' free-bet campaigns send
-- them): the promotion funds its stake like bonus_free_spin, but its win arrives later, so the
-- round stays open (fs_open) until its win (bonus_free_round_won) or rollback
-- (bonus_free_round_back), and the bonus waits for it before it can close. `ref` names the
-- bet (provider and transaction id): the journal key, so a retried bet funds nothing twice
-- (the bet's own record answers the retry before this runs). Returns the award it played for.
local function bonus_free_round(wallet, bkey, journal, player_id, currency, stake, ref, now)
  local award = redis.call('HGET', bkey, 'award')
  redis.call('HINCRBY', bkey, 'fs_left', -1)
  redis.call('HINCRBY', bkey, 'fs_open', 1)
  redis.call('HINCRBY', wallet, 'bonus', stake)
  redis.call('XADD', journal, '*', 'kind', 'bonus_move',
    'key', 'bonus:' .. award .. ':fr:' .. ref .. ':fund', 'award', award,
    'movement', 'free_round', 'player_id', player_id, 'currency', currency, 'cash', 0,
    'bonus', stake, 'created_at', now)
  return award
end

-- A free round's win arrived (it was credited as bonus money, the bet's stake being all
-- bonus): it adds `fs_wagering` times itself to the wagering required, while the bonus the
-- round was played for is still active (once it ended, the win follows its leftover rule).
local function bonus_free_round_won(bkey, award, payout)
  local b = redis.call('HMGET', bkey, 'state', 'award', 'fs_wagering')
  if b[1] ~= 'active' or b[2] ~= award then
    return
  end
  if redis.call('HINCRBY', bkey, 'fs_open', -1) < 0 then
    redis.call('HSET', bkey, 'fs_open', 0)
  end
  local mult = tonumber(b[3] or '0')
  if payout > 0 and mult > 0 then
    redis.call('HINCRBY', bkey, 'required', payout * mult * 100)
  end
end

-- A free round was rolled back (its stake came back to `bonus`): the stake goes back to the
-- promotion (player_bonus -> bonus_cost on the journal), and the round is the player's to
-- play again while the bonus it was played for is still active.
local function bonus_free_round_back(wallet, bkey, journal, player_id, currency, award, stake,
    ref, now)
  redis.call('HINCRBY', wallet, 'bonus', -stake)
  redis.call('XADD', journal, '*', 'kind', 'bonus_move',
    'key', 'bonus:' .. award .. ':fr:' .. ref .. ':back', 'award', award,
    'movement', 'free_round_back', 'player_id', player_id, 'currency', currency, 'cash', 0,
    'bonus', -stake, 'created_at', now)
  local b = redis.call('HMGET', bkey, 'state', 'award')
  if b[1] == 'active' and b[2] == award then
    redis.call('HINCRBY', bkey, 'fs_left', 1)
    if redis.call('HINCRBY', bkey, 'fs_open', -1) < 0 then
      redis.call('HSET', bkey, 'fs_open', 0)
    end
  end
end

-- A provider bet that staked bonus money stays open until its win or rollback (`delta` +1 when
-- taken, -1 when settled): while one is, a bonus whose money is gone is not yet spent, since
-- the win may bring bonus money back.
local function bonus_open_bets(bkey, from_bonus, delta)
  if not bkey or from_bonus <= 0 or redis.call('EXISTS', bkey) == 0 then
    return
  end
  if redis.call('HINCRBY', bkey, 'open_bets', delta) < 0 then
    redis.call('HSET', bkey, 'open_bets', 0)
  end
end

-- Close the bonus when its time has come, after a script moved money: converted once wagering
-- is complete, expired past expires_at, spent when its money is gone, forfeited when the
-- player left it (state 'forfeiting', set by bonus_end.lua); and bonus money that came
-- back after it ended follows it (leftover). Waits while a stake of ours is held (`held`), so
-- the bonus part of a win in play is never stranded. Appends the movement to the journal (the
-- ledger posts player_bonus -> player_cash / bonus_cost) and its event, in the same step.
-- Returns the cash after when it moved money, else nil. Call it after the script's journal entry.
local function bonus_settle(wallet, bkey, journal, events, player_id, currency, now)
  local b = bonus_read(bkey, 'state', 'wagered', 'required', 'expires_at', 'award', 'cap',
    'leftover', 'fs_left', 'open_bets', 'fs_open')
  if not b then
    return nil
  end
  local w = redis.call('HMGET', wallet, 'bonus', 'held')
  local bonus = tonumber(w[1] or '0')
  if tonumber(w[2] or '0') > 0 then
    return nil
  end
  local outcome
  if b[1] == 'forfeiting' then
    outcome = 'forfeited'
  elseif b[1] == 'active' then
    if now < tonumber(b[4]) and (tonumber(b[8] or '0') > 0 or tonumber(b[10] or '0') > 0) then
      return nil  -- free spins still to play, or a free round's win to come: nothing is due
    elseif tonumber(b[2]) >= tonumber(b[3]) then
      outcome = 'converted'
    elseif now >= tonumber(b[4]) then
      outcome = 'expired'
    elseif bonus <= 0 and tonumber(b[9] or '0') <= 0 then
      outcome = 'spent'
    else
      return nil
    end
  elseif bonus > 0 then
    outcome = b[7]
  else
    return nil
  end
  local to_cash, to_cost = 0, bonus
  if outcome == 'converted' then
    to_cash = bonus
    if b[6] then
      to_cash = math.min(bonus, tonumber(b[6]))
      redis.call('HSET', bkey, 'cap', tonumber(b[6]) - to_cash)
    end
    to_cost = bonus - to_cash
  end
  if b[1] ~= 'ended' then
    redis.call('HSET', bkey, 'state', 'ended', 'outcome', outcome, 'ended_at', now,
      'leftover', outcome == 'converted' and 'converted' or 'forfeited')
  end
  if bonus <= 0 then
    emit_event(events, 'bonus_ended', 'bonus:' .. b[5] .. ':' .. outcome, player_id, now,
      {'award', tonumber(b[5]), 'outcome', outcome, 'to_cash', 0, 'to_cost', 0, 'currency', currency,
       'balance', tonumber(redis.call('HGET', wallet, 'cash'))})
    return nil
  end
  local move = redis.call('HINCRBY', bkey, 'moves', 1)
  redis.call('HINCRBY', wallet, 'bonus', -bonus)
  local cash = redis.call('HINCRBY', wallet, 'cash', to_cash)
  redis.call('XADD', journal, '*', 'kind', 'bonus_move', 'key', 'bonus:' .. b[5] .. ':' .. move,
    'award', b[5], 'movement', outcome, 'player_id', player_id, 'currency', currency,
    'cash', to_cash, 'bonus', -bonus, 'created_at', now)
  emit_event(events, 'bonus_ended', 'bonus:' .. b[5] .. ':' .. move, player_id, now,
    {'award', tonumber(b[5]), 'outcome', outcome, 'to_cash', to_cash, 'to_cost', to_cost,
     'currency', currency, 'balance', cash})
  return cash
end
