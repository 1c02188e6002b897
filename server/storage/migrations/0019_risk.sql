-- Fraud and risk monitoring (server/risk owns these tables). Portable SQL: runs on SQLite
-- and PostgreSQL alike.

-- One row per alert a risk rule raised: its severity, the action it applied (flag,
-- hold_withdrawals, restrict, lock), the evidence and the ids of the events behind it. At
-- most one open alert per player and rule, so a rule firing again (or the same event
-- delivered twice) changes nothing until staff resolve the first.
CREATE TABLE risk_alerts (
    id INTEGER PRIMARY KEY,
    player_id INTEGER NOT NULL,
    rule TEXT NOT NULL,
    severity TEXT NOT NULL,
    action TEXT NOT NULL,
    status TEXT NOT NULL,
    evidence TEXT NOT NULL,
    event_ids TEXT NOT NULL,
    raised_at BIGINT NOT NULL,
    assignee TEXT,
    resolved_at BIGINT,
    resolved_by TEXT,
    resolved_reason TEXT,
    CHECK (severity IN ('low', 'medium', 'high')),
    CHECK (action IN ('flag', 'hold_withdrawals', 'restrict', 'lock')),
    CHECK (status IN ('open', 'dismissed', 'confirmed'))
);
CREATE UNIQUE INDEX risk_alerts_one_open ON risk_alerts (player_id, rule) WHERE status = 'open';
CREATE INDEX risk_alerts_status ON risk_alerts (status, id);

-- The signals of every login attempt, as the risk monitor read them off the event stream:
-- address, the country GeoIP gave it ('' unknown), the client's device id, user agent.
CREATE TABLE login_signals (
    event_id TEXT PRIMARY KEY,
    player_id INTEGER NOT NULL,
    at_ms BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    address TEXT NOT NULL,
    country TEXT NOT NULL,
    device_id TEXT NOT NULL,
    user_agent TEXT NOT NULL
);
CREATE INDEX login_signals_player ON login_signals (player_id, at_ms);
CREATE INDEX login_signals_device ON login_signals (device_id);
