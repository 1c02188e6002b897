-- Put back a provider transaction or round record that Redis no longer keeps, from the
-- durable tables, so the scripts judge a late retry as they judged the original. Never
-- overwrites: a record still (or again) in Redis is newer than any durable copy.
-- KEYS[1] record hash ({s:K}); ARGV: keep_ms, field, value, field, value, ...
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {'EXISTS'}
end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]))
return {'OK'}
