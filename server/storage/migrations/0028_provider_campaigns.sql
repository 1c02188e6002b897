-- Free-bet campaigns awarded through the provider (issue 18). Portable SQL: runs on SQLite and
-- PostgreSQL alike. server/provider owns both.

-- Where the provider takes campaign awards (Hub88's freebet rewards): NULL for a provider
-- that runs no campaigns.
ALTER TABLE providers ADD COLUMN campaign_url TEXT;

-- One free-bet campaign for one player: offered first (the player opts in), then awarded at
-- the provider, whose `reward_uuid` every free bet of the campaign carries. `award_id` is the
-- bonus award the rounds are played for (its free rounds, stake and wagering).
CREATE TABLE provider_campaigns (
    campaign_uuid TEXT PRIMARY KEY,
    provider_id TEXT NOT NULL REFERENCES providers (id),
    player_id BIGINT NOT NULL,
    currency TEXT NOT NULL,
    definition_id BIGINT NOT NULL,
    award_id BIGINT,
    game_code TEXT NOT NULL,
    rounds INTEGER NOT NULL,
    stake BIGINT NOT NULL,
    reward_uuid TEXT,
    status TEXT NOT NULL DEFAULT 'offered',
    created_at BIGINT NOT NULL,
    awarded_at BIGINT,
    CHECK (status IN ('offered', 'awarded'))
);
CREATE UNIQUE INDEX provider_campaigns_reward ON provider_campaigns (provider_id, reward_uuid);
CREATE INDEX provider_campaigns_player ON provider_campaigns (player_id, status);
