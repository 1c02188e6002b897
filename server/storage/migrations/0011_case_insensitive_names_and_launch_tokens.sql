-- Usernames and emails unique whatever their case (server/accounts), single-use launch
-- tokens and the reason a provider session was revoked (server/provider).
-- Portable SQL: runs on SQLite and PostgreSQL alike (expression indexes, no SQLite-only tricks).

-- Before this migration "alice" and "ALICE" could both register. Such accounts are kept, never
-- renamed or dropped: each one younger than the oldest holder of its name (ignoring case) is
-- marked with its own id in `username_clash` / `email_clash`, which keeps the case-insensitive
-- indexes below unique. Start-up lists the marked accounts (a WARNING) until an operator gives
-- them new names (`python -m server.accounts.admin clashes` / `rename`). Every account
-- registered from now on has 0 in both, so lower(name) alone must be unique among them.
ALTER TABLE players ADD COLUMN username_clash INTEGER NOT NULL DEFAULT 0;
ALTER TABLE players ADD COLUMN email_clash INTEGER NOT NULL DEFAULT 0;

UPDATE players SET username_clash = id
 WHERE id > (SELECT MIN(older.id) FROM players older
              WHERE lower(older.username) = lower(players.username));
UPDATE players SET email_clash = id
 WHERE id > (SELECT MIN(older.id) FROM players older
              WHERE lower(older.email) = lower(players.email));

CREATE UNIQUE INDEX players_username_ci ON players (lower(username), username_clash);
CREATE UNIQUE INDEX players_email_ci ON players (lower(email), email_clash);

-- A launch hands the player's browser a launch token (in the provider's launch URL) that the
-- provider's server exchanges once, within minutes, for the session token it then uses; only
-- the SHA-256 of either is stored. `exchanged_at` is set by the one exchange that succeeds.
CREATE TABLE provider_launches (
    token_hash TEXT PRIMARY KEY,
    provider_id TEXT NOT NULL REFERENCES providers (id),
    player_id INTEGER NOT NULL REFERENCES players (id),
    game_code TEXT NOT NULL,
    currency TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    exchanged_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX provider_launches_player ON provider_launches (player_id);

-- Why a session ended early: logout, password_changed, or the account's new status.
ALTER TABLE provider_sessions ADD COLUMN revoked_reason TEXT;
