-- Accounts as players expect them: a verified email, password reset, two-factor login, a
-- profile and a list of one's own sessions (server/accounts owns every column and table here).
-- Portable SQL: ADD COLUMN with constant defaults runs on SQLite and PostgreSQL alike.

-- NULL until the player followed the link sent to the current `email`; a new email clears it.
ALTER TABLE players ADD COLUMN email_verified_at BIGINT;
-- The language mails and clients use (en, de); the postal address is free text for payouts.
ALTER TABLE players ADD COLUMN language TEXT NOT NULL DEFAULT 'en';
ALTER TABLE players ADD COLUMN postal_address TEXT NOT NULL DEFAULT '';
-- The TOTP secret, AES-GCM encrypted (never stored or logged in the clear); set by setup,
-- in use once `totp_enabled_at` is set. `totp_last_step` is the last 30 s step a code was
-- accepted for: a code is taken once, and never one of an earlier step.
ALTER TABLE players ADD COLUMN totp_secret TEXT;
ALTER TABLE players ADD COLUMN totp_enabled_at BIGINT;
ALTER TABLE players ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;

-- Where and from what a session was opened, and when it was last used (written at most once
-- a minute): what "my sessions" lists. `device_id` is the client's own random id.
ALTER TABLE sessions ADD COLUMN device_id TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN address TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN last_seen_at BIGINT;

-- Single-use emailed links (verify an email, reset a password): only the SHA-256 of the
-- token is kept. `email` is the address a verification link was sent to: following it
-- verifies that address only, not one the player changed to since.
CREATE TABLE account_tokens (
    token_hash TEXT PRIMARY KEY,
    player_id INTEGER NOT NULL REFERENCES players (id),
    purpose TEXT NOT NULL,
    email TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX account_tokens_player ON account_tokens (player_id, purpose);

-- Two-factor recovery codes: their SHA-256 only, each spent once.
CREATE TABLE recovery_codes (
    player_id INTEGER NOT NULL REFERENCES players (id),
    code_hash TEXT NOT NULL,
    used_at BIGINT,
    PRIMARY KEY (player_id, code_hash)
);
