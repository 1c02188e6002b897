-- Free stakes (issue 18). Portable SQL: runs on SQLite and PostgreSQL alike.

-- Whether a stake was the promotion's, not the player's: a round played as one of a bonus's
-- free spins (1), a provider bet flagged is_free that played a free round (1). Loyalty and
-- cashback count such a stake as no stake and no loss, and a bonus hash rebuilt from SQL
-- after a Redis data loss counts the free spins used from it (server/bonus/restore.py).
ALTER TABLE rounds ADD COLUMN free INTEGER NOT NULL DEFAULT 0;
ALTER TABLE provider_transactions ADD COLUMN free INTEGER NOT NULL DEFAULT 0;
