-- Account closures (issue 21, server/staff/closure.py): one row per staff closing run, keyed
-- by the staff member's idempotency key; `reply` is what the finished run answered (JSON), so
-- a retry with the key answers the same and moves nothing twice.
CREATE TABLE account_closures (
    id INTEGER PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    player_id INTEGER NOT NULL REFERENCES players (id),
    actor TEXT NOT NULL,
    reason TEXT NOT NULL,
    reply TEXT,
    created_at BIGINT NOT NULL,
    done_at BIGINT
);
CREATE INDEX account_closures_player ON account_closures (player_id);

-- Cash of a closed account that went to the operator's liability house:closed_accounts_payable
-- (no deposit method to pay it back to): money's own record, written by the journal writer in
-- the transaction of its ledger transfer (server/money/journal/closures.py); reconciliation's
-- figure for it.
CREATE TABLE closed_account_payables (
    closure_id INTEGER PRIMARY KEY,
    player_id INTEGER NOT NULL,
    currency TEXT NOT NULL,
    amount BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
