-- External game providers and their seamless-wallet transactions (server/provider owns these).
-- Portable SQL: runs on SQLite and PostgreSQL alike.

-- One row per game provider allowed to call the wallet API. An HMAC provider shares
-- `hmac_secret` with us (it must be readable to verify a MAC, so it cannot be hashed);
-- an RSA provider gave us `public_key_pem` and signs with its own private key.
CREATE TABLE providers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'active',
    signature_scheme TEXT NOT NULL,
    hmac_secret TEXT,
    public_key_pem TEXT,
    launch_url TEXT NOT NULL,
    session_ttl_s INTEGER NOT NULL,
    replay_window_s INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    CHECK (signature_scheme IN ('hmac-sha256', 'rsa-sha256')),
    CHECK (status IN ('active', 'disabled'))
);

-- Our own RSA key pair: signs responses to RSA providers (they verify with the public half).
CREATE TABLE provider_signing_keys (
    id INTEGER PRIMARY KEY,
    private_key_pem TEXT NOT NULL,
    public_key_pem TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Providers' games, listed in the catalogue beside our own. RTP in thousandths of a percent
-- (96500 = 96.500 %), stakes in minor units; categories comma-separated.
CREATE TABLE provider_games (
    provider_id TEXT NOT NULL REFERENCES providers (id),
    game_code TEXT NOT NULL,
    name TEXT NOT NULL,
    categories TEXT NOT NULL,
    rtp_millipercent INTEGER NOT NULL,
    min_stake BIGINT NOT NULL,
    max_stake BIGINT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (provider_id, game_code)
);

-- Game sessions handed to a provider at launch: only the SHA-256 of the token is stored.
CREATE TABLE provider_sessions (
    token_hash TEXT PRIMARY KEY,
    provider_id TEXT NOT NULL REFERENCES providers (id),
    player_id INTEGER NOT NULL REFERENCES players (id),
    game_code TEXT NOT NULL,
    currency TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX provider_sessions_player ON provider_sessions (player_id);

-- Every provider transaction, kept for good: answers retries older than Redis keeps them.
-- kind: bet, win, rollback, or tombstone (a bet id rolled back before the bet arrived).
-- status: bets open, won or rolled_back; tombstones rolled_back; wins and rollbacks done.
-- amount: what moved (a rollback: the stake returned, 0 for an unknown bet).
CREATE TABLE provider_transactions (
    id INTEGER PRIMARY KEY,
    provider_id TEXT NOT NULL REFERENCES providers (id),
    transaction_uuid TEXT NOT NULL,
    kind TEXT NOT NULL,
    player_id INTEGER NOT NULL REFERENCES players (id),
    currency TEXT NOT NULL,
    amount BIGINT NOT NULL CHECK (amount >= 0),
    round_id TEXT NOT NULL,
    game_code TEXT NOT NULL,
    reference_uuid TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    balance_after BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    stream_id TEXT NOT NULL,
    UNIQUE (provider_id, transaction_uuid)
);
CREATE INDEX provider_transactions_player ON provider_transactions (player_id, currency);

-- A provider's game round as one player saw it (round ids are per provider, and a live
-- table's round may be shared by many players).
CREATE TABLE provider_rounds (
    provider_id TEXT NOT NULL REFERENCES providers (id),
    player_id INTEGER NOT NULL REFERENCES players (id),
    round_id TEXT NOT NULL,
    game_code TEXT NOT NULL,
    currency TEXT NOT NULL,
    status TEXT NOT NULL,
    bet_total BIGINT NOT NULL DEFAULT 0,
    win_total BIGINT NOT NULL DEFAULT 0,
    refund_total BIGINT NOT NULL DEFAULT 0,
    opened_at BIGINT NOT NULL,
    closed_at BIGINT,
    PRIMARY KEY (provider_id, player_id, round_id)
);
CREATE INDEX provider_rounds_player ON provider_rounds (player_id, opened_at);
