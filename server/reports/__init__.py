"""Reporting: a store of its own fed by the event streams and read by the staff reports."""
