-- Payments as processors behave (server/payments owns these tables): webhooks, methods,
-- 3-D Secure, disputes and refunds. Portable SQL: runs on SQLite and PostgreSQL alike.

-- `payments` gains kind `refund` (a staff refund of a deposit: it leaves cash like a
-- withdrawal), the method it used, and the gateway's intermediate state (`requires_action` with the page the player
-- completes, `processing`) and decline reason. A CHECK cannot be altered in place, so the
-- table is rebuilt with its rows.
CREATE TABLE payments_0018 (
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
    method_id INTEGER,
    gateway_status TEXT,
    action_url TEXT,
    decline_code TEXT,
    refund_of INTEGER,
    UNIQUE (player_id, kind, idempotency_key),
    CHECK (kind IN ('deposit', 'withdrawal', 'refund')),
    CHECK (status IN ('pending', 'completed', 'declined', 'refused'))
);
INSERT INTO payments_0018 (id, player_id, kind, idempotency_key, gateway, gateway_key,
    gateway_reference, amount, currency, status, error_code, created_at, updated_at, locked_at,
    resolved_at)
SELECT id, player_id, kind, idempotency_key, gateway, gateway_key, gateway_reference, amount,
    currency, status, error_code, created_at, updated_at, locked_at, resolved_at FROM payments;
DROP TABLE payments;
ALTER TABLE payments_0018 RENAME TO payments;
CREATE INDEX payments_pending ON payments (status, updated_at);
CREATE INDEX payments_player ON payments (player_id, id);

-- A player's saved methods: the gateway's token and what may be shown (never a card number).
CREATE TABLE payment_methods (
    id INTEGER PRIMARY KEY,
    player_id INTEGER NOT NULL REFERENCES players (id),
    type TEXT NOT NULL CHECK (type IN ('card', 'ewallet', 'bank_transfer')),
    token TEXT NOT NULL,
    label TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (player_id, type, token)
);

-- Every verified webhook, once by the gateway's event id (a redelivery is applied again,
-- harmlessly, but recorded once); `applied_at` is set when applying it finished.
CREATE TABLE payment_webhooks (
    event_id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    applied_at BIGINT
);

-- Disputes of deposits: needs_response -> under_review -> won or lost. A lost one takes
-- `taken` from the player's cash (at most what it holds) and records the rest as `debt`,
-- set once from the chargeback script's answer; the player is restricted while debt is owed.
CREATE TABLE payment_disputes (
    id INTEGER PRIMARY KEY,
    gateway_dispute_id TEXT NOT NULL UNIQUE,
    payment_id INTEGER NOT NULL REFERENCES payments (id),
    player_id INTEGER NOT NULL REFERENCES players (id),
    amount BIGINT NOT NULL CHECK (amount > 0),
    currency TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('needs_response', 'under_review', 'won', 'lost')),
    taken BIGINT,
    debt BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX payment_disputes_player ON payment_disputes (player_id);
