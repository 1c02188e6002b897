-- The bonus engine (issue 18). Portable SQL: runs on SQLite and PostgreSQL alike.

-- Promotions as staff define them (server/bonus owns this table and the next). `terms` is the
-- definition's JSON (server/bonus/definitions.py `Terms`): amounts in minor units, weights in
-- percent. A code is unique among definitions that have one; `trigger` is 'code', 'deposit',
-- 'registration' or 'manual'.
CREATE TABLE bonus_definitions (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    trigger_on TEXT NOT NULL,
    code TEXT UNIQUE,
    currency TEXT NOT NULL,
    terms TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL
);

-- One row per promotion a player opted into: 'opted_in' (waits for its qualifying deposit or
-- period), 'member' (of a loyalty programme), 'queued' (another wagering bonus is active),
-- 'active', then 'ended' with the outcome (converted, expired, forfeited, spent, paid) that the
-- hot bonus hash reported. `claim_key` ('definition:player') is the "one per player" rule; a
-- loyalty redemption has none (NULLs never clash), so a player may redeem many times.
CREATE TABLE bonus_awards (
    id INTEGER PRIMARY KEY,
    definition_id INTEGER NOT NULL REFERENCES bonus_definitions (id),
    player_id INTEGER NOT NULL REFERENCES players (id),
    currency TEXT NOT NULL,
    status TEXT NOT NULL,
    amount BIGINT NOT NULL DEFAULT 0,
    required BIGINT NOT NULL DEFAULT 0,
    deposit_id INTEGER,
    outcome TEXT,
    created_at BIGINT NOT NULL,
    granted_at BIGINT,
    expires_at BIGINT,
    claim_key TEXT UNIQUE
);
CREATE INDEX bonus_awards_player ON bonus_awards (player_id, status);

-- Loyalty: each member's points per currency, and the events already counted (at-least-once
-- delivery: an event counted twice would count once).
CREATE TABLE loyalty_points (
    player_id INTEGER NOT NULL REFERENCES players (id),
    currency TEXT NOT NULL,
    points BIGINT NOT NULL DEFAULT 0 CHECK (points >= 0),
    PRIMARY KEY (player_id, currency)
);
CREATE TABLE loyalty_earned (
    event_id TEXT PRIMARY KEY,
    player_id INTEGER NOT NULL,
    points BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Money's own record of every bonus movement the journal posted (grant, conversion, forfeit):
-- what it added to the player's cash and bonus (negative: removed), the rest going to or
-- coming from the operator's bonus-cost account. Reconciliation reads it as the bonus
-- engine's part of each wallet's history. Written only by server/money/journal/bonus.py.
CREATE TABLE bonus_movements (
    move_key TEXT PRIMARY KEY,
    award_id INTEGER NOT NULL,
    player_id INTEGER NOT NULL,
    currency TEXT NOT NULL,
    movement TEXT NOT NULL,
    cash BIGINT NOT NULL,
    bonus BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX bonus_movements_wallet ON bonus_movements (player_id, currency);
