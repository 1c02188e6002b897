-- Debt repayment (issue 19). Portable SQL: runs on SQLite and PostgreSQL alike.

-- What a deposit repaid of the player's chargeback debt before the rest reached their cash,
-- written with the deposit in its own transaction (server/money/wallet.py): the ledger moves
-- it from the player's cash to their debt account, and reconciliation's independent figure
-- is the deposits' amount less this.
ALTER TABLE deposits ADD COLUMN debt_repaid BIGINT NOT NULL DEFAULT 0;
