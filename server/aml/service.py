"""AML in the server's paths: the withdrawal rules, and screening when a profile is set.

`withdrawal_rules()` are checked, in order, before any withdrawal moves money (the
payments seam, registered at wiring time, so they cannot be routed around):
1. the configurable rules run on the player's movements and open a case for each hit;
2. a player whose customer due diligence failed may withdraw only to a gateway they
   deposited through (closed loop), and nothing else holds them: the relationship is
   being wound up;
3. an open case whose action holds withdrawals refuses (AML_REVIEW_REQUIRED);
4. linked transactions in the window reaching the CDD threshold refuse (CDD_REQUIRED)
   until due diligence is done (`cdd_done`, the KYC level), and open a `cdd` case for
   staff; winnings count, so winnings over the threshold are held with the withdrawal.
`screen` runs at registration and on every change of name, date of birth or country; a
hit restricts the account and opens a `sanctions` case for enhanced due diligence.

It reads movements through money and KYC's answer through a function the wiring passes;
it never reads another domain's tables.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Protocol

from protocol.errors import ErrorCode, Refused
from server.aml import cases
from server.aml.policy import Policy
from server.aml.rules import NoRate, findings, linked_total
from server.aml.sanctions import Hit, SanctionsList
from server.audit import trail
from server.money import movements
from server.storage.database import Database, now_ms

log = logging.getLogger(__name__)

CddDone = Callable[[int], Awaitable[bool]]


class Withdrawal(Protocol):
    """What a withdrawal rule reads (payments' `WithdrawalRequest` has these fields)."""

    @property
    def player_id(self) -> int: ...
    @property
    def currency(self) -> str: ...
    @property
    def amount(self) -> int: ...
    @property
    def gateway(self) -> str: ...


WithdrawalRule = Callable[[Withdrawal], Awaitable[Refused | None]]


@dataclass
class Aml:
    db: Database
    policy: Policy
    sanctions: SanctionsList
    cdd_done: CddDone
    set_status: cases.AccountStatus | None = None

    def withdrawal_rules(self) -> list[WithdrawalRule]:
        return [self.run_rules, self.closed_loop, self.held, self.due_diligence]

    async def run_rules(self, request: Withdrawal) -> Refused | None:
        """Open a case for each configurable rule the withdrawal fires; refuses nothing
        itself (`held` does, for the actions that hold)."""
        since = now_ms() - max((r.window_ms for r in self.policy.rules), default=0)
        moved = await movements.of_player(self.db, request.player_id, since)
        try:
            cleared = await cases.last_cleared(self.db, request.player_id)
            hits = findings(self.policy, moved, now_ms(), request.amount, request.currency, cleared)
        except NoRate as error:
            return _no_rate(error)
        for hit in hits:
            opened = await cases.open_case(
                self.db, request.player_id, hit.rule.name, hit.rule.action, hit.reason,
                hit.details, self.set_status,
            )  # fmt: skip
            if opened is not None:
                log.info("AML case %d opened: player %d, rule %s", opened.id, opened.player_id,
                         opened.rule)  # fmt: skip
        return None

    async def closed_loop(self, request: Withdrawal) -> Refused | None:
        if not await cases.cdd_failed(self.db, request.player_id):
            return None
        deposited = {m.gateway for m in await movements.of_player(self.db, request.player_id, 0)
                     if m.kind == "deposit"}  # fmt: skip
        if request.gateway in deposited:
            return None
        return Refused(
            ErrorCode.CLOSED_LOOP_ONLY,
            "due diligence failed: funds go back only to the payment method they came from",
            gateways=sorted(deposited),
        )

    async def held(self, request: Withdrawal) -> Refused | None:
        winding_up = await cases.cdd_failed(self.db, request.player_id)
        case = await cases.holding(self.db, request.player_id, winding_up)
        if case is None:
            return None
        return Refused(
            ErrorCode.AML_REVIEW_REQUIRED,
            "withdrawals are held while compliance reviews the account"
            if case.status == "open"
            else "withdrawals are frozen: compliance confirmed the case",
            case_id=case.id,
        )

    async def due_diligence(self, request: Withdrawal) -> Refused | None:
        if await cases.cdd_failed(self.db, request.player_id):
            return None
        since = now_ms() - self.policy.cdd_window_ms
        moved = await movements.of_player(self.db, request.player_id, since)
        try:
            total = linked_total(self.policy, moved, now_ms(), request.amount, request.currency)
        except NoRate as error:
            return _no_rate(error)
        if total < self.policy.cdd_threshold_eur_cents or await self.cdd_done(request.player_id):
            return None
        await cases.open_case(
            self.db, request.player_id, cases.CDD, "flag",
            "linked transactions reached the due diligence threshold",
            {"linked_eur_cents": total, "threshold_eur_cents": self.policy.cdd_threshold_eur_cents},
        )  # fmt: skip
        return Refused(
            ErrorCode.CDD_REQUIRED,
            "transactions in the period reach EUR 2,000: verify address and source of funds"
            " before withdrawing",
            linked_eur_cents=total,
            threshold_eur_cents=self.policy.cdd_threshold_eur_cents,
            params={"threshold": self.policy.cdd_threshold_eur_cents, "currency": "EUR"},
        )

    async def screen(
        self,
        player_id: int,
        name: str | None,
        birth_date: str | None,
        country: str | None,
        address: str = "",
    ) -> list[Hit]:
        """Screen the player's profile against the list; a hit restricts the account and
        opens (or keeps) a sanctions case. Every screening is in the audit trail."""
        hits = self.sanctions.screen(name, birth_date) if name else []
        await trail.record(
            self.db, "system", "sanctions_screened", f"player:{player_id}",
            "hit" if hits else "clear", address,
            {"hits": [h.listed_id for h in hits], "country": country or "",
             "list_rows": len(self.sanctions.rows())},
        )  # fmt: skip
        if hits:
            best = max(hits, key=lambda h: h.score)
            await cases.open_case(
                self.db, player_id, cases.SANCTIONS, "restrict",
                f"possible {best.kind} match: {best.listed_id} ({best.score:.2f})",
                {"hits": [asdict(h) for h in hits]}, self.set_status,
            )  # fmt: skip
        return hits


def _no_rate(error: NoRate) -> Refused:
    return Refused(
        ErrorCode.AML_REVIEW_REQUIRED,
        f"{error}: the withdrawal waits for compliance",
        currency=error.currency,
    )
