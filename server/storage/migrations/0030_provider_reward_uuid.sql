-- The reward a provider bet named (issue 18). Portable SQL: runs on SQLite and PostgreSQL alike.

-- A bet's reward_uuid (Hub88's free-bet reward) is one of its terms: a retry of the same
-- transaction naming another reward is a different transaction (DUPLICATE), also after Redis
-- forgot the bet. '' for a bet that named none; NULL for a bet written before this column,
-- whose reward is unknown and so not compared.
ALTER TABLE provider_transactions ADD COLUMN reward_uuid TEXT;
