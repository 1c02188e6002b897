-- The audit trail (server/audit owns it), AML cases (server/aml owns them) and the player's
-- full name that sanctions screening needs. Portable SQL: runs on SQLite and PostgreSQL alike.

-- Append-only: each entry's `hash` is SHA-256 over its canonical encoding and the previous
-- entry's hash (`prev_hash`, 64 zeros for the first), so an edited or removed entry breaks
-- the chain (server/audit/trail.py verifies it). `prev_hash` is unique: two writers that
-- read the same head cannot both append, the chain never forks.
CREATE TABLE audit_trail (
    id INTEGER PRIMARY KEY,
    at_ms BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    reason TEXT NOT NULL,
    address TEXT NOT NULL,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL UNIQUE,
    hash TEXT NOT NULL UNIQUE
);

-- One row per case an AML rule or a sanctions hit opened; `action` is what it applies while
-- open (flag, hold_withdrawals, restrict, close). At most one open case per player and rule,
-- so a rule that fires again on the same player changes nothing.
CREATE TABLE aml_cases (
    id INTEGER PRIMARY KEY,
    player_id INTEGER NOT NULL REFERENCES players (id),
    rule TEXT NOT NULL,
    action TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL,
    details TEXT NOT NULL,
    opened_at BIGINT NOT NULL,
    closed_at BIGINT,
    closed_by TEXT,
    closed_reason TEXT,
    CHECK (action IN ('flag', 'hold_withdrawals', 'restrict', 'close')),
    CHECK (status IN ('open', 'cleared', 'confirmed'))
);
CREATE UNIQUE INDEX aml_cases_one_open ON aml_cases (player_id, rule) WHERE status = 'open';
CREATE INDEX aml_cases_player ON aml_cases (player_id, status);

-- Screening reads a player's transfers in a window: their ledger accounts by player.
CREATE INDEX ledger_accounts_player ON ledger_accounts (player_id);

-- Optional: collected at registration or later; screening runs whenever it is set.
ALTER TABLE players ADD COLUMN full_name TEXT;
