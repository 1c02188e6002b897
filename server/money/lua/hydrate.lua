-- Create the hot wallet from the ledger when Redis has none; never overwrite one.
-- KEYS[1] wallet hash; ARGV: cash, ledger_mark (the highest transfer id the cash includes),
-- bonus (the ledger's bonus balance; written only when not 0, as an absent bonus is 0)
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {'EXISTS', tonumber(redis.call('HGET', KEYS[1], 'cash'))}
end
redis.call('HSET', KEYS[1], 'cash', tonumber(ARGV[1]), 'held', 0, 'ledger_mark', tonumber(ARGV[2]))
if tonumber(ARGV[3] or '0') ~= 0 then
  redis.call('HSET', KEYS[1], 'bonus', tonumber(ARGV[3]))
end
return {'CREATED', tonumber(ARGV[1])}
