-- Deposits and withdrawals through the payment gateway (server/payments owns this table).
-- Portable SQL: runs on SQLite and PostgreSQL alike.

-- One row per payment, written before the gateway is called. `gateway_key` is the
-- idempotency key sent to the gateway on every attempt (random: unique across databases
-- sharing one gateway). A withdrawal's `locked_at` is set once its amount left spendable
-- cash for the player's withdrawal_locked funds; `resolved_at` once it reached a final state.
CREATE TABLE payments (
    id INTEGER PRIMARY KEY,
    player_id INTEGER NOT NULL REFERENCES players (id),
    kind TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    gateway TEXT NOT NULL,
    gateway_key TEXT NOT NULL UNIQUE,
    gateway_reference TEXT,
    amount BIGINT NOT NULL CHECK (amount > 0),
    currency TEXT NOT NULL,
    status TEXT NOT NULL,
    error_code TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    locked_at BIGINT,
    resolved_at BIGINT,
    UNIQUE (player_id, kind, idempotency_key),
    CHECK (kind IN ('deposit', 'withdrawal')),
    CHECK (status IN ('pending', 'completed', 'declined', 'refused'))
);
CREATE INDEX payments_pending ON payments (status, updated_at);
CREATE INDEX payments_player ON payments (player_id, id);
