-- KYC levels, the vendor's applicants and webhooks, and encrypted documents (server/kyc owns these).
-- Portable SQL: runs on SQLite and PostgreSQL alike.

-- The level a player reached (0 registered, 1 identity, 2 address and source of funds) and the
-- last answer's detail: RETRY or FINAL on a rejection, the vendor's reject labels (comma
-- separated) and the message shown to the player. A player without a row is level 0.
ALTER TABLE kyc_status ADD COLUMN level INTEGER NOT NULL DEFAULT 0;
ALTER TABLE kyc_status ADD COLUMN reject_type TEXT NOT NULL DEFAULT '';
ALTER TABLE kyc_status ADD COLUMN reject_labels TEXT NOT NULL DEFAULT '';
ALTER TABLE kyc_status ADD COLUMN player_message TEXT NOT NULL DEFAULT '';

-- Files written before this migration are plaintext (encrypted = 0) and stay readable as such.
ALTER TABLE kyc_documents ADD COLUMN encrypted INTEGER NOT NULL DEFAULT 0;

-- One applicant per player at the vendor, and the highest review sequence applied from it:
-- a webhook with a sequence not above it is late or repeated and changes nothing.
CREATE TABLE kyc_applicants (
    player_id INTEGER PRIMARY KEY REFERENCES players (id),
    applicant_id TEXT NOT NULL UNIQUE,
    legal_name TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    review_seq INTEGER NOT NULL DEFAULT 0
);

-- Every signed webhook received, by the vendor's event id: a second delivery is a no-op.
CREATE TABLE kyc_vendor_events (
    event_id TEXT PRIMARY KEY,
    applicant_id TEXT NOT NULL,
    review_seq INTEGER NOT NULL,
    answer TEXT NOT NULL,
    applied INTEGER NOT NULL,
    received_at BIGINT NOT NULL
);
