"""1,000 stakes at once on one wallet: 600 spins from six WebSocket connections (six in
flight each) and 400 signed provider bets (32 in flight), against a deposit that covers
only part of them. No balance below zero, no lost update, the exact final balance; the
autouse fixture then reconciles the ledger."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.tools.soak import race
from tests.conftest import ServerProcess
from tests.support.kyc import STAFF_TOKEN

DEPOSIT = 30_000


@pytest.mark.sqlite_only(reason="the race reads the sandbox provider's secret from the file")
async def test_a_thousand_concurrent_stakes_on_one_wallet_keep_every_cent(
    casino: ServerProcess,
) -> None:
    assert isinstance(casino.database_path, Path)
    result = await race.run(
        casino.base_url, casino.database_path, deposit=DEPOSIT, staff_token=STAFF_TOKEN
    )
    assert (result.spins, result.bets) == (600, 400)
    assert result.final == DEPOSIT - result.staked + result.paid
    assert result.lowest is not None and result.lowest >= 0
    assert result.refused > 0 and result.staked > 0
