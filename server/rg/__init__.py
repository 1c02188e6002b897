"""Responsible gambling: jurisdiction profiles, player limits, reality checks, time-outs,
self-exclusion and the national self-exclusion register (floor 4, a domain)."""
