"""Email to players: sending through SMTP, the templates, and the sandbox's local mail sink.

Knows nothing of accounts: a domain hands it a rendered `Mail` and an address.
"""
