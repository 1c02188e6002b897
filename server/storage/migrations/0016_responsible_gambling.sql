-- Responsible gambling (server/rg owns these tables). Portable SQL: SQLite and PostgreSQL alike.

-- One row per player and kind of limit: deposit_24h, deposit_7d, deposit_30d, loss_24h,
-- loss_7d, loss_30d (minor units of the player's wallet), session_minutes, and the reality
-- check interval reality_check_minutes. `value` NULL: no limit in force. A raise or a removal
-- waits as `pending_value` (`pending` = 1, NULL value meaning "remove") until `pending_at`
-- has passed AND the player confirms it; a lowering applies at once and drops any pending raise.
CREATE TABLE rg_limits (
    player_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    value BIGINT,
    pending INTEGER NOT NULL DEFAULT 0,
    pending_value BIGINT,
    pending_at BIGINT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (player_id, kind)
);

-- Time-outs and self-exclusions, never deleted nor shortened: the latest end is in force.
CREATE TABLE rg_exclusions (
    id INTEGER PRIMARY KEY,
    player_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL
);
CREATE INDEX rg_exclusions_player ON rg_exclusions (player_id, ends_at);

-- Every deposit asked for, gross (withdrawals never net it off), as the deposit limits count
-- it: written in the same transaction as the deposit (or the gateway payment) it counts.
CREATE TABLE rg_deposits (
    id INTEGER PRIMARY KEY,
    player_id BIGINT NOT NULL,
    reference TEXT NOT NULL UNIQUE,
    amount BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX rg_deposits_player ON rg_deposits (player_id, created_at);
