-- Provably fair seeds, and what a round needs to be recalled and re-verified.

CREATE TABLE fair_seeds (
    id INTEGER PRIMARY KEY,
    player_id INTEGER NOT NULL REFERENCES players (id),
    seed_hash TEXT NOT NULL UNIQUE,
    server_seed TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revealed_at BIGINT
);
CREATE INDEX fair_seeds_player ON fair_seeds (player_id, revealed_at);

ALTER TABLE rounds ADD COLUMN inputs TEXT NOT NULL DEFAULT '{}';
ALTER TABLE rounds ADD COLUMN server_seed_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE rounds ADD COLUMN client_seed TEXT NOT NULL DEFAULT '';
ALTER TABLE rounds ADD COLUMN nonce BIGINT NOT NULL DEFAULT -1;
