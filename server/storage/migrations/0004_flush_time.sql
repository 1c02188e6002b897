-- When the flusher made each round durable: the settle-to-durable lag is measured from it.
ALTER TABLE rounds ADD COLUMN flushed_at BIGINT;
