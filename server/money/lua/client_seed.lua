-- Set the player's client seed. The nonce keeps counting: with the same server seed a
-- (client seed, nonce) pair must never repeat, even if the player returns to an old client seed.
-- KEYS[1] fair-seed hash; ARGV: client_seed
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {'NO_SEED'}
end
redis.call('HSET', KEYS[1], 'client_seed', ARGV[1])
return {'OK', tonumber(redis.call('HGET', KEYS[1], 'nonce'))}
