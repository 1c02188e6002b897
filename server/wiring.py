"""What a process plugs into the seams that lower floors define and cannot fill themselves.

Money's reconciliation must hear each domain's own figure (`histories`), and the backlog
gauges of observability must be told which of money's keys to read (`backlog_keys`).
Neither lower floor may import the one that fills it, so the server (`server/app.py`)
and every process that is not the server (`run.py reconcile`, `run.py doctor`, the bench,
the soak, the tests) take them from here instead of listing them by hand. This module
opens no connection: it names what to plug in, builds the withdrawal rules (KYC's, then
AML's, with the AML checks' policy and list) from services already open, adapts KYC's
deposit rule to money's deposit seam (with the level a fraud alert's `require_kyc` demands,
server/risk/alerts.py, on both), and builds the provider bet rule that holds the
jurisdiction profile on providers' slots.
"""

from __future__ import annotations

from pathlib import Path

from protocol.errors import Refused
from server.aml import policy as aml_policy
from server.aml.sanctions import SanctionsList
from server.aml.service import Aml
from server.config import Settings
from server.context import Services
from server.kyc import levels
from server.kyc import rules as kyc_rules
from server.money import keys
from server.money.deposit_rules import DepositAttempt
from server.money.reconcile import History
from server.observability.backlog import Watched
from server.payments.history import chargebacks_by_wallet, withdrawals_by_wallet
from server.payments.rules import Rule, WithdrawalRequest
from server.provider.rules import BetAttempt, BetRule
from server.provider.status import Status, for_refusal
from server.rg.rules import ProfileRules
from server.risk import alerts as risk_alerts
from server.storage.database import Database, Transaction


def histories() -> tuple[History, ...]:
    """Every domain's record of money it moved that money's own tables do not hold."""
    return (withdrawals_by_wallet, chargebacks_by_wallet)


def backlog_keys() -> tuple[Watched, ...]:
    """Money's journal, due-reservation and dead-letter keys, one triple per shard."""
    return tuple(
        Watched(keys.journal(k), keys.due(k), keys.dead_letters(k)) for k in range(keys.SHARDS)
    )


def aml(settings: Settings, services: Services) -> Aml:
    """The AML service of this process: its policy, the operator's list, and KYC's level 2
    (address and source of funds) as the answer to "is due diligence done"."""
    policy = aml_policy.load(settings.aml_policy_file)
    listed = SanctionsList(
        Path(settings.sanctions_file) if settings.sanctions_file else None,
        policy.match_threshold,
    )
    listed.rows()  # a missing or malformed list stops the start-up, not a registration

    async def cdd_done(player_id: int) -> bool:
        return await levels.level_of(services.db, player_id) >= levels.ADDRESS_AND_FUNDS

    return Aml(services.db, policy, listed, cdd_done, services.accounts.set_status)


def withdrawal_rules(services: Services, checks: Aml) -> list[Rule]:
    """Every rule a withdrawal meets, in order: KYC's level first, then AML's."""

    async def kyc_level(request: WithdrawalRequest) -> Refused | None:
        refusal = await kyc_rules.withdrawal_refusal(services.db, request.player_id, request.amount)
        return refusal or await risk_kyc(
            services.db, request.player_id, levels.Action.WITHDRAW, request.amount
        )

    return [kyc_level, *checks.withdrawal_rules()]


async def risk_kyc(
    db: Database | Transaction, player_id: int, action: levels.Action, amount: int
) -> Refused | None:
    """The KYC level a fraud alert's `require_kyc` demands of the player (KYC_REQUIRED, with
    `required` and `level`), on a withdrawal or a deposit above the KYC threshold."""
    alert = await risk_alerts.kyc_requirement(db, player_id)
    if alert is None or alert.kyc_level is None:
        return None
    return await kyc_rules.demanded_refusal(db, player_id, action, amount, alert.kyc_level)


def profile_on_provider_slots(profile: ProfileRules) -> BetRule:
    """The jurisdiction profile's slot stake cap and cycle spacing on a provider's bet, where
    the provider's catalogue says the game is a slot; the provider's round is the cycle."""

    async def rule(attempt: BetAttempt) -> Status | None:
        if not attempt.game.is_slot:
            return None
        refusal = await profile.refuse(
            attempt.player.id, attempt.currency, attempt.amount, True,
            f"{attempt.game.provider_id}:{attempt.round}",
        )  # fmt: skip
        return None if refusal is None else for_refusal(refusal.code)

    return rule


async def kyc_deposit_rule(tx: Transaction, attempt: DepositAttempt) -> Refused | None:
    """KYC's level for a deposit (any deposit in GB or SE, one above the large-deposit
    threshold everywhere), read in the deposit's own transaction: KYC_REQUIRED rolls the
    deposit back before anything moves. Then the level a fraud alert demands, the same way."""
    refusal = await kyc_rules.deposit_refusal(tx, attempt.player_id, attempt.amount)
    return refusal or await risk_kyc(tx, attempt.player_id, levels.Action.DEPOSIT, attempt.amount)
