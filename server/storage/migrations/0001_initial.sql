-- Players, sessions, the double-entry ledger, deposits and settled rounds.
-- Portable SQL: runs on SQLite and PostgreSQL alike (no SQLite-only types or tricks).

CREATE TABLE players (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    date_of_birth TEXT NOT NULL,
    country TEXT NOT NULL,
    currency TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'active',
    created_at BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    player_id INTEGER NOT NULL REFERENCES players (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX sessions_player ON sessions (player_id);

CREATE TABLE ledger_accounts (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    player_id INTEGER REFERENCES players (id),
    currency TEXT NOT NULL,
    balance BIGINT NOT NULL DEFAULT 0,
    allow_negative INTEGER NOT NULL
);

CREATE TABLE ledger_transfers (
    id INTEGER PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    debit_account_id INTEGER NOT NULL REFERENCES ledger_accounts (id),
    credit_account_id INTEGER NOT NULL REFERENCES ledger_accounts (id),
    amount BIGINT NOT NULL CHECK (amount > 0),
    currency TEXT NOT NULL,
    kind TEXT NOT NULL,
    reference TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    CHECK (debit_account_id <> credit_account_id)
);
CREATE INDEX ledger_transfers_debit ON ledger_transfers (debit_account_id);
CREATE INDEX ledger_transfers_credit ON ledger_transfers (credit_account_id);

CREATE TABLE deposits (
    id INTEGER PRIMARY KEY,
    player_id INTEGER NOT NULL REFERENCES players (id),
    idempotency_key TEXT NOT NULL,
    gateway TEXT NOT NULL,
    amount BIGINT NOT NULL CHECK (amount > 0),
    currency TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    credited_at BIGINT,
    UNIQUE (player_id, idempotency_key)
);

CREATE TABLE rounds (
    round_id TEXT PRIMARY KEY,
    player_id INTEGER NOT NULL REFERENCES players (id),
    game_id TEXT NOT NULL,
    currency TEXT NOT NULL,
    status TEXT NOT NULL,
    stake BIGINT NOT NULL,
    payout BIGINT NOT NULL,
    balance_before BIGINT NOT NULL,
    balance_after BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    reserved_at BIGINT NOT NULL,
    settled_at BIGINT NOT NULL,
    stream_id TEXT NOT NULL
);
CREATE INDEX rounds_player_settled ON rounds (player_id, settled_at);
