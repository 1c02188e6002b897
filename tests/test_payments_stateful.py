"""Random sequences of deposits, spins, provider bets, wins and rollbacks and withdrawals
against the live server and the real gateway: the balance never goes below zero, always
equals a plain model of it, and at the end the whole ledger reconciles."""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from clients.api import CasinoClient, GameSocket
from clients.provider_sim import new_uuid
from games.classic_slot import INFO as CLASSIC
from tests.conftest import settled_report
from tests.support.payments import Paying, balance, pay, paying, player
from tests.support.provider import FRUITS, SANDBOX, Table, launch, sandbox_client

__all__ = ["paying"]

amounts = st.integers(min_value=1, max_value=3_000)
stakes = st.integers(min_value=1, max_value=60).map(lambda lines: lines * CLASSIC.stake_step)
provider_amounts = st.integers(min_value=10, max_value=2_000)


def test_random_money_movements_keep_the_balance_exact_and_never_negative(
    paying: Paying,
) -> None:
    base_url = paying.server.base_url
    paying.gateway.fault("none")

    class Wallet(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.loop = asyncio.new_event_loop()
            self.model = 0
            self.bets: dict[str, tuple[int, str]] = {}  # transaction id -> (amount, state)
            self.client: CasinoClient = self.run(player(base_url, verified=True))
            self.socket: GameSocket = self.client.socket()
            self.run(self.socket.__aenter__())
            assert self.client.token is not None
            self.run(self.socket.hello(self.client.token))
            provider = sandbox_client(paying.server)
            session = self.run(
                provider.open_session(self.run(launch(self.client, SANDBOX, FRUITS)))
            )
            self.table = Table(provider, self.client, session)

        def run(self, step: Any) -> Any:
            return self.loop.run_until_complete(step)

        def teardown(self) -> None:
            self.run(self.socket.__aexit__(None, None, None))
            self.run(self.table.provider.aclose())
            self.run(self.client.http.aclose())
            self.loop.close()

        @rule(amount=amounts)
        def deposit(self, amount: int) -> None:
            status, body = self.run(pay(self.client, "deposits", amount))
            self.model += amount
            assert (status, body["status"], body["balance"]) == (201, "completed", self.model)

        @rule(amount=amounts)
        def withdraw(self, amount: int) -> None:
            status, body = self.run(pay(self.client, "withdrawals", amount))
            if amount > self.model:
                assert (status, body["error"]["code"]) == (409, "INSUFFICIENT_FUNDS")
                return
            self.model -= amount
            assert (status, body["status"], body["balance"]) == (201, "completed", self.model)

        @rule(stake=stakes)
        def spin(self, stake: int) -> None:
            reply = self.run(self.socket.spin(CLASSIC.id, stake))
            if stake > self.model:
                assert (reply["type"], reply["code"]) == ("error", "INSUFFICIENT_FUNDS")
                return
            self.model += int(reply["payout"]) - stake
            assert (reply["type"], reply["balance"]) == ("spin", self.model)

        @rule(amount=provider_amounts)
        def provider_bet(self, amount: int) -> None:
            transaction = new_uuid()
            reply = self.run(self.table.bet(amount, transaction_uuid=transaction))
            if amount > self.model:
                assert reply["status"] == "RS_ERROR_NOT_ENOUGH_MONEY"
                return
            self.model -= amount
            self.bets[transaction] = (amount, "open")
            assert (reply["status"], reply["balance"]) == ("RS_OK", self.model)

        def _open_bet(self) -> str | None:
            return next((t for t, (_, state) in self.bets.items() if state == "open"), None)

        @precondition(lambda self: self._open_bet() is not None)
        @rule(amount=st.integers(min_value=0, max_value=5_000))
        def provider_win(self, amount: int) -> None:
            bet = self._open_bet()
            assert bet is not None
            reply = self.run(self.table.win(bet, amount))
            self.model += amount
            self.bets[bet] = (self.bets[bet][0], "won")
            assert (reply["status"], reply["balance"]) == ("RS_OK", self.model)

        @precondition(lambda self: self._open_bet() is not None)
        @rule()
        def provider_rollback(self) -> None:
            bet = self._open_bet()
            assert bet is not None
            reply = self.run(self.table.rollback(bet))
            self.model += self.bets[bet][0]
            self.bets[bet] = (self.bets[bet][0], "rolled_back")
            assert (reply["status"], reply["balance"]) == ("RS_OK", self.model)

        @invariant()
        def balance_is_the_model_and_never_negative(self) -> None:
            cash = self.run(balance(self.client))
            assert cash == self.model
            assert cash >= 0

    Wallet.TestCase.settings = settings(
        max_examples=10,
        stateful_step_count=15,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    Wallet.TestCase().runTest()
    report = asyncio.run(settled_report(paying.server))
    assert report.ok, "\n".join(report.lines())
