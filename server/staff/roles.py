"""The staff roles. A staff member holds exactly one; each staff route names the roles that
may call it (server/staff/guard.py), and every other role is refused it."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    SUPPORT = "support"  # players' questions: profiles, sessions, notes
    COMPLIANCE = "compliance"  # KYC reviews, AML cases, the audit trail
    FINANCE = "finance"  # payments, refunds, disputes, cashback
    RISK = "risk"  # fraud alerts
    ADMIN = "admin"  # every route


EVERY = tuple(Role)
