-- KYC: the documents players upload and each player's verification status (server/kyc owns these).
-- Portable SQL: runs on SQLite and PostgreSQL alike. Document bytes live in files under
-- DATA_DIR/kyc (named by `storage_name`, never by anything the player sent), not in the database.

CREATE TABLE kyc_documents (
    id INTEGER PRIMARY KEY,
    player_id INTEGER NOT NULL REFERENCES players (id),
    kind TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    filename TEXT NOT NULL,
    storage_name TEXT NOT NULL UNIQUE,
    uploaded_at BIGINT NOT NULL,
    CHECK (kind IN ('id', 'address', 'payment')),
    CHECK (content_type IN ('application/pdf', 'image/jpeg', 'image/png'))
);
CREATE INDEX kyc_documents_player ON kyc_documents (player_id);

-- A player without a row is 'unverified'.
CREATE TABLE kyc_status (
    player_id INTEGER PRIMARY KEY REFERENCES players (id),
    status TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    CHECK (status IN ('unverified', 'pending', 'verified', 'rejected'))
);
