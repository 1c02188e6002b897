-- End the active bonus if its time has come, or because the player leaves it (`forfeit`: by
-- choice, or confirming a withdrawal while wagering). Leaving keeps the player's cash (their
-- deposit and what it won, as UK CMA undertakings require) and removes only bonus money.
-- A stake of ours still held waits: its settle ends the bonus (server/money/lua/_bonus.lua).
-- KEYS[1] wallet hash, KEYS[2] bonus hash, KEYS[3] the shard's journal,
-- KEYS[4] the shard's event stream
-- KEYS[5] the shard's push stream, KEYS[6] the player's sessions (`push_into`)
-- ARGV: award ('' : whichever is active), player_id, currency, forfeit ('1' or '0')
-- Returns {'OK', state} with the bonus hash's state after, or {'NOT_PENDING'} with no bonus.
--#include _clock
--#include _emit_event
--#include _bonus
push_into(KEYS[5], KEYS[6])
local b = redis.call('HMGET', KEYS[2], 'state', 'award')
if not b[1] or (ARGV[1] ~= '' and b[2] ~= ARGV[1]) then
  return {'NOT_PENDING', b[1] or ''}
end
if ARGV[4] == '1' and b[1] == 'active' then
  redis.call('HSET', KEYS[2], 'state', 'forfeiting')
end
bonus_settle(KEYS[1], KEYS[2], KEYS[3], KEYS[4], tonumber(ARGV[2]), ARGV[3], now_ms())
return {'OK', redis.call('HGET', KEYS[2], 'state')}
