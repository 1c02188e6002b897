-- The outbox of the internal event stream (server/events owns this table).
-- Portable SQL: runs on SQLite and PostgreSQL alike (a partial index, no SQLite-only tricks).

-- A domain writes its event here in the same transaction as the change it reports, so an
-- event exists exactly when its change committed. The relay copies each row to the player's
-- Redis stream and then sets `relayed_at`: a crash in between sends the row again, which
-- consumers absorb by `event_id` (at least once). Rows stay after relaying: they are the
-- durable record that a consumer further behind than a stream's bound replays from.
-- `event_id` is unique, so emitting one change's event twice keeps one row.
CREATE TABLE event_outbox (
    id INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    player_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    version INTEGER NOT NULL,
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    relayed_at BIGINT
);
-- The relay's one query: the rows not relayed yet, in the order they were written.
CREATE INDEX event_outbox_unrelayed ON event_outbox (id) WHERE relayed_at IS NULL;
CREATE INDEX event_outbox_player ON event_outbox (player_id, id);
