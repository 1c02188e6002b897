"""The audit trail: who did what, when, from where and why, in a hash chain (trail.py)."""
