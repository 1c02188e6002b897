-- The reporting store (server/reports owns it): one line per money event the consumer group
-- `reports` read off the event streams, in the shape reports add up. Portable SQL: runs on
-- SQLite and PostgreSQL alike. Nothing on the hot path reads or writes it.

-- One row per event, keyed by the event's id: an event delivered twice (the streams deliver
-- at least once) is one line. Amounts are signed minor units of `currency`, each in the
-- column of what it is, so a report is a SUM per column: `stake` and `win` (our rounds and
-- providers' bets and wins; a rolled-back provider bet is a negative stake), `bonus_cost`
-- (grants less what came back to the operator), `deposit` (what the gateway paid in),
-- `withdrawal` (what was paid out). `amount` is the movement as the player's statement shows
-- it (negative: out of the wallet), `balance` the cash after it when the event says.
CREATE TABLE report_lines (
    event_id TEXT PRIMARY KEY,
    player_id INTEGER NOT NULL,
    at_ms BIGINT NOT NULL,
    day TEXT NOT NULL,
    kind TEXT NOT NULL,
    provider TEXT NOT NULL,
    game TEXT NOT NULL,
    round_key TEXT NOT NULL,
    currency TEXT NOT NULL,
    stake BIGINT NOT NULL,
    win BIGINT NOT NULL,
    bonus_cost BIGINT NOT NULL,
    deposit BIGINT NOT NULL,
    withdrawal BIGINT NOT NULL,
    amount BIGINT NOT NULL,
    balance BIGINT,
    reference TEXT NOT NULL
);
CREATE INDEX report_lines_day ON report_lines (day, currency);
CREATE INDEX report_lines_player ON report_lines (player_id, at_ms);
