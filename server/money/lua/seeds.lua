-- Install a provably fair seed for a player, or replace the current one (rotation).
-- KEYS[1] fair-seed hash
-- ARGV: mode ('create' keeps an existing seed; 'rotate' replaces it), server_seed_hex,
--       seed_hash, client_seed ('' keeps the current one), nonce to start from
-- Returns {'CREATED'|'EXISTS'|'ROTATED', old_server_seed_or_'', old_seed_hash_or_''}
local old = redis.call('HMGET', KEYS[1], 'server_seed', 'seed_hash', 'client_seed')
if old[1] and ARGV[1] == 'create' then
  return {'EXISTS', '', ''}
end
local client_seed = ARGV[4]
if client_seed == '' then
  client_seed = old[3] or 'default'
end
redis.call('HSET', KEYS[1], 'server_seed', ARGV[2], 'seed_hash', ARGV[3],
  'client_seed', client_seed, 'nonce', tonumber(ARGV[5]))
if old[1] then
  return {'ROTATED', old[1], old[2]}
end
return {'CREATED', '', ''}
