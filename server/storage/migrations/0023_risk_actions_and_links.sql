-- Fraud and risk monitoring, second part (server/risk owns these tables). Portable SQL: runs
-- on SQLite and PostgreSQL alike.

-- Two more actions a rule's hit may apply: `require_kyc` (withdrawals, and deposits above the
-- KYC threshold, need `kyc_level` until the player reaches it) and `block_bonuses` (no bonus
-- claims or awards while the alert is open). A CHECK cannot be changed in place on SQLite,
-- so the table is rebuilt with its rows.
CREATE TABLE risk_alerts_0022 (
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
    kyc_level INTEGER,
    CHECK (severity IN ('low', 'medium', 'high')),
    CHECK (action IN ('flag', 'require_kyc', 'hold_withdrawals', 'block_bonuses', 'restrict',
        'lock')),
    CHECK (status IN ('open', 'dismissed', 'confirmed')),
    CHECK ((action = 'require_kyc') = (kyc_level IS NOT NULL))
);
INSERT INTO risk_alerts_0022 (id, player_id, rule, severity, action, status, evidence,
    event_ids, raised_at, assignee, resolved_at, resolved_by, resolved_reason)
SELECT id, player_id, rule, severity, action, status, evidence, event_ids, raised_at, assignee,
    resolved_at, resolved_by, resolved_reason FROM risk_alerts;
DROP TABLE risk_alerts;
ALTER TABLE risk_alerts_0022 RENAME TO risk_alerts;
CREATE UNIQUE INDEX risk_alerts_one_open ON risk_alerts (player_id, rule) WHERE status = 'open';
CREATE INDEX risk_alerts_status ON risk_alerts (status, id);
CREATE INDEX risk_alerts_player ON risk_alerts (player_id, status);

-- Multi-accounting: each account a linking rule's hit tied to a shared device, payment
-- instrument (the gateway's fingerprint), postal address or household (digests, never the
-- address). Accounts that share any (kind, value) are one cluster; the alert's evidence
-- names the cluster and lists its links (server/risk/clusters.py).
CREATE TABLE risk_links (
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    player_id INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    linked_at BIGINT NOT NULL,
    PRIMARY KEY (kind, value, player_id),
    CHECK (kind IN ('device', 'instrument', 'address', 'household'))
);
CREATE INDEX risk_links_player ON risk_links (player_id);
