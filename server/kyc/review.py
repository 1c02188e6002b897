"""The KYC status and level of a player as a small state machine. Pure.

unverified --upload--> pending --approve--> verified
                       pending --reject---> rejected --upload--> pending

Beside the status, the level (0 registered, 1 identity, 2 address and source of
funds: server/kyc/levels.py). An upload never lowers a verified player, and
leaves one verified unless the document could raise the level (an address
document of a level-1 player goes to review). A staff review applies only to a
pending player; any other is an illegal transition, refused by name. A
vendor's verdict applies whenever it is the newest one (its sequence is checked
by the caller): GREEN verifies the level it reviewed, RED takes the player
below it; a RED may be FINAL (no further upload reopens it) or RETRY (the
player may send better documents). A rejection carries labels for staff and a
message for the player.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    UNVERIFIED = "unverified"
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"


class Decision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    MORE = "more"  # ask the player for more documents (a RED RETRY)


class Answer(StrEnum):
    GREEN = "GREEN"
    RED = "RED"


class RejectType(StrEnum):
    NONE = ""
    FINAL = "FINAL"
    RETRY = "RETRY"


@dataclass(frozen=True, slots=True)
class Verdict:
    """One decision on a player: whose (`actor`: vendor, staff:NAME, auto:RULE), on which
    level, and for a RED its type, labels and the message the player reads."""

    answer: Answer
    level: int
    actor: str
    reject_type: RejectType = RejectType.NONE
    labels: tuple[str, ...] = ()
    message: str = ""


@dataclass(frozen=True, slots=True)
class State:
    status: Status
    level: int
    reject_type: RejectType = RejectType.NONE


class IllegalReview(ValueError):
    def __init__(self, status: Status, decision: Decision) -> None:
        super().__init__(f"cannot {decision} a player whose KYC status is {status}")
        self.status = status
        self.decision = decision


def after_upload(status: Status, raises_level: bool = False) -> Status:
    if status is Status.VERIFIED and not raises_level:
        return Status.VERIFIED
    return Status.PENDING


def after_review(status: Status, decision: Decision) -> Status:
    if status is not Status.PENDING:
        raise IllegalReview(status, decision)
    return Status.VERIFIED if decision is Decision.APPROVE else Status.REJECTED


def after_verdict(state: State, verdict: Verdict) -> State:
    """The state a verdict leaves: GREEN raises the level to the one reviewed (never lowers
    it), RED takes the level below the one reviewed (a GREEN then RED FINAL revokes)."""
    if verdict.answer is Answer.GREEN:
        return State(Status.VERIFIED, max(state.level, verdict.level))
    return State(Status.REJECTED, min(state.level, verdict.level - 1), verdict.reject_type)


def staff_verdict(
    status: Status, level: int, decision: Decision, actor: str, reason: str
) -> Verdict:
    """Staff's decision on a pending player as a verdict: approve verifies the next level,
    reject is final, more is a retry with the reason as the player's message."""
    after_review(status, decision)  # IllegalReview unless pending
    reviewed = min(level + 1, 2)
    if decision is Decision.APPROVE:
        return Verdict(Answer.GREEN, reviewed, actor)
    kind = RejectType.FINAL if decision is Decision.REJECT else RejectType.RETRY
    return Verdict(Answer.RED, reviewed, actor, kind, ("STAFF",), reason)
