-- Staff accounts (issue 21; server/staff owns them). Portable SQL: runs on SQLite and
-- PostgreSQL alike.

-- A staff member: apart from players, with one role, an argon2 password and a TOTP second
-- factor that is always on (the secret sealed with CASINO_TOTP_KEY, as players' are).
-- `totp_last_step` is the last step accepted: a code is spent once. `disabled_at` ends
-- every login without deleting who did what.
CREATE TABLE staff_accounts (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    totp_secret TEXT NOT NULL,
    totp_last_step BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    disabled_at BIGINT
);

-- A name is unique whatever its case (lookups compare lower(name)).
CREATE UNIQUE INDEX staff_accounts_name ON staff_accounts (lower(name));

-- Recovery codes of the second factor: their SHA-256 only, each spent once.
CREATE TABLE staff_recovery_codes (
    staff_id INTEGER NOT NULL REFERENCES staff_accounts (id),
    code_hash TEXT NOT NULL,
    used_at BIGINT,
    PRIMARY KEY (staff_id, code_hash)
);

-- Staff sessions: only the SHA-256 of the bearer token is kept; each expires.
CREATE TABLE staff_sessions (
    token_hash TEXT PRIMARY KEY,
    staff_id INTEGER NOT NULL REFERENCES staff_accounts (id),
    address TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    ended_at BIGINT
);
CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id);

-- Manual balance adjustments as the ledger received them (server/money/journal/adjustments.py
-- writes a row with each adjustment's transfer): reconciliation's own figure. `amount` is
-- signed: a credit to the player's cash is positive, a debit negative. `id` is the proposal's.
CREATE TABLE balance_adjustments (
    id INTEGER PRIMARY KEY,
    player_id INTEGER NOT NULL,
    currency TEXT NOT NULL,
    amount BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX balance_adjustments_player ON balance_adjustments (player_id, currency);

-- Four eyes (server/staff/four_eyes.py): what moves money by hand is proposed by one staff
-- member and approved by another. `kind` adjustment (a signed `amount` to the player's
-- cash) or withdrawal (one above the approval threshold, held: `withdrawal_key` is the
-- player's idempotency key, which the retry of the same withdrawal carries). `status`:
-- held (a withdrawal waiting for a proposer), pending, approved, rejected, failed (approved
-- but the cash no longer covered the debit). `applied_at`: an approved adjustment reached
-- the wallet.
CREATE TABLE staff_proposals (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    player_id INTEGER NOT NULL REFERENCES players (id),
    currency TEXT NOT NULL,
    amount BIGINT NOT NULL,
    idempotency_key TEXT NOT NULL,
    withdrawal_key TEXT,
    status TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    proposed_by TEXT,
    proposed_at BIGINT,
    decided_by TEXT,
    decided_at BIGINT,
    decided_reason TEXT,
    applied_at BIGINT,
    UNIQUE (kind, idempotency_key)
);
CREATE INDEX staff_proposals_status ON staff_proposals (status, id);
