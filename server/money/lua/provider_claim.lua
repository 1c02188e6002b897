-- Name the player a provider transaction id belongs to, once: the first claim wins and
-- later ones learn the owner. (SET NX GET would do, but only from Redis 7.0.)
-- KEYS[1] claim key (global, not in a player's slot); ARGV: player_id, keep_ms
-- Returns the owner's player id.
local owner = redis.call('GET', KEYS[1])
if owner then
  return owner
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', tonumber(ARGV[2]))
return ARGV[1]
