"""Fraud and risk monitoring: rules run on the event stream against per-player features in
Redis, alerts staff resolve, and the actions a hit applies (flag, hold withdrawals, restrict,
lock). A domain: it reads other domains' events, never their tables, and reaches accounts
only through the status function the wiring supplies."""
