"""The KYC status of a player as a small state machine. Pure.

unverified --upload--> pending --approve--> verified
                       pending --reject---> rejected --upload--> pending

An upload never lowers a verified player (a later payment document does not
undo a verified identity). A review applies only to a pending player; any
other is an illegal transition, refused by name.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    UNVERIFIED = "unverified"
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"


class Decision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


class IllegalReview(ValueError):
    def __init__(self, status: Status, decision: Decision) -> None:
        super().__init__(f"cannot {decision} a player whose KYC status is {status}")
        self.status = status
        self.decision = decision


def after_upload(status: Status) -> Status:
    return Status.VERIFIED if status is Status.VERIFIED else Status.PENDING


def after_review(status: Status, decision: Decision) -> Status:
    if status is not Status.PENDING:
        raise IllegalReview(status, decision)
    return Status.VERIFIED if decision is Decision.APPROVE else Status.REJECTED
