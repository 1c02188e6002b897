-- Staff notes on a player (issue 21, server/staff/players.py): who wrote what, when; never
-- edited or deleted (a correction is a new note).
CREATE TABLE staff_notes (
    id INTEGER PRIMARY KEY,
    player_id INTEGER NOT NULL REFERENCES players (id),
    author TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX staff_notes_player ON staff_notes (player_id);
