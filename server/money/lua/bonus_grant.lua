-- Grant a bonus award's money once: into `bonus` under wagering terms that become the player's
-- active bonus, or (no wagering: cashback paid as cash) straight into `cash`. The journal gets
-- the movement (the ledger posts bonus_cost -> player_bonus or player_cash) and the stream its
-- event, in the same step. Only one wagering bonus is active at a time: EXISTS means the caller
-- keeps this one queued; CONFLICT means bonus money of the last one is still in play.
-- KEYS[1] wallet hash, KEYS[2] bonus hash, KEYS[3] grant marker, KEYS[4] the shard's journal,
-- KEYS[5] the shard's event stream (all {s:K})
-- KEYS[6] the shard's push stream, KEYS[7] the player's sessions (`push_into`)
-- ARGV: award, player_id, currency, amount, to ('bonus' or 'cash'), required (minor x 100),
--       max_stake (0: none), expires_at_ms, cap ('' : none), marker_ttl_ms,
--       free spins ('' or 'game|count|stake|wagering'), weights (name, percent, ...)
--#include _clock
--#include _emit_event
--#include _bonus
push_into(KEYS[6], KEYS[7])
if redis.call('EXISTS', KEYS[3]) == 1 then
  return {'ALREADY', tonumber(redis.call('HGET', KEYS[1], 'cash') or '0')}
end
local w = redis.call('HMGET', KEYS[1], 'cash', 'bonus')
if not w[1] then
  return {'NO_WALLET'}
end
local amount = tonumber(ARGV[4])
local now = now_ms()
local player_id = tonumber(ARGV[2])
local d_cash, d_bonus = 0, 0
if ARGV[5] == 'cash' then
  d_cash = amount
else
  if redis.call('HGET', KEYS[2], 'state') == 'active' or
      redis.call('HGET', KEYS[2], 'state') == 'forfeiting' then
    return {'EXISTS'}
  end
  if tonumber(w[2] or '0') > 0 then
    return {'CONFLICT', tonumber(w[2])}
  end
  d_bonus = amount
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[2], 'state', 'active', 'award', ARGV[1], 'wagered', 0,
    'required', tonumber(ARGV[6]), 'max_stake', tonumber(ARGV[7]),
    'expires_at', tonumber(ARGV[8]), 'granted', amount, 'granted_at', now)
  if ARGV[9] ~= '' then
    redis.call('HSET', KEYS[2], 'cap', tonumber(ARGV[9]))
  end
  if ARGV[11] ~= '' then
    local game, count, stake, mult = string.match(ARGV[11], '^([^|]+)|(%d+)|(%d+)|(%d+)$')
    redis.call('HSET', KEYS[2], 'fs_game', game, 'fs_left', tonumber(count),
      'fs_stake', tonumber(stake), 'fs_wagering', tonumber(mult))
  end
  for i = 12, #ARGV, 2 do
    redis.call('HSET', KEYS[2], 'w:' .. ARGV[i], tonumber(ARGV[i + 1]))
  end
  redis.call('HINCRBY', KEYS[1], 'bonus', amount)
end
local cash = redis.call('HINCRBY', KEYS[1], 'cash', d_cash)
redis.call('SET', KEYS[3], '1', 'PX', tonumber(ARGV[10]))
redis.call('XADD', KEYS[4], '*', 'kind', 'bonus_move', 'key', 'bonus:' .. ARGV[1] .. ':grant',
  'award', ARGV[1], 'movement', 'granted', 'player_id', player_id, 'currency', ARGV[3],
  'cash', d_cash, 'bonus', d_bonus, 'created_at', now)
emit_event(KEYS[5], 'bonus_granted', 'bonus:' .. ARGV[1] .. ':grant', player_id, now,
  {'award', tonumber(ARGV[1]), 'amount', amount, 'to', ARGV[5], 'currency', ARGV[3], 'balance', cash})
bonus_settle(KEYS[1], KEYS[2], KEYS[4], KEYS[5], player_id, ARGV[3], now)
return {'OK', tonumber(redis.call('HGET', KEYS[1], 'cash'))}
