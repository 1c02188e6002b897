"""Shared pieces of the tests (kits and independent checkers); this package holds no tests."""
