-- Create the hot wallet from the ledger when Redis has none; never overwrite one.
-- KEYS[1] wallet hash; ARGV: cash, ledger_mark (the highest transfer id the cash includes)
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {'EXISTS', tonumber(redis.call('HGET', KEYS[1], 'cash'))}
end
redis.call('HSET', KEYS[1], 'cash', tonumber(ARGV[1]), 'held', 0, 'ledger_mark', tonumber(ARGV[2]))
return {'CREATED', tonumber(ARGV[1])}
