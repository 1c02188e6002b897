"""The provider domain: external game providers playing through our wallet.

A provider's game runs on its own servers and calls our seamless-wallet API
(Hub88's semantics) with a session token we issued at launch: every call is
signed, every transaction id is answered exactly once, and money moves through
the same hot wallet, rounds stream and ledger as our own games. This package
owns the `provider*` tables and the `{p:ID}:ptx:*` / `{p:ID}:pround:*` keys.
"""
