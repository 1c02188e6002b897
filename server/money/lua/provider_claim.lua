-- Name the player a provider transaction id belongs to, once: the first claim wins and
-- later ones learn the owner. (SET NX GET would do, but only from Redis 7.0.)
-- KEYS[1] claim key (in the transaction id's shard, not the player's); ARGV: player_id, keep_ms
-- Returns {'OK', player_id} for a first claim, {'ALREADY', owner's player id} after one.
local owner = redis.call('GET', KEYS[1])
if owner then
  return {'ALREADY', owner}
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', tonumber(ARGV[2]))
return {'OK', ARGV[1]}
