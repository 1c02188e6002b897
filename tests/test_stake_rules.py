"""The one seam where every rule that can refuse a stake runs, for our games and providers'."""

from __future__ import annotations

from protocol.errors import ErrorCode, Refused
from server.money.stake_rules import HOUSE, RULES, StakeAttempt, account_open, refuse_stake
from tests.conftest import ServerProcess, new_player
from tests.support.provider import db_execute


def attempt(status: str = "active", amount: int = 100) -> StakeAttempt:
    return StakeAttempt(7, status, "EUR", HOUSE, "classic-sevens", amount)


async def test_an_active_account_may_stake() -> None:
    # Money's own rules: what domains plug in (an app built in this process) has its own tests.
    assert await refuse_stake(attempt(), RULES) is None


def code_and_message(refused: Refused | None) -> tuple[ErrorCode, str] | None:
    return None if refused is None else (refused.code, refused.message)


async def test_a_disabled_account_is_refused() -> None:
    expected = (ErrorCode.ACCOUNT_RESTRICTED, "this account may not place stakes")
    assert code_and_message(await account_open(attempt(status="disabled"))) == expected
    assert code_and_message(await refuse_stake(attempt(status="disabled"), RULES)) == expected


async def test_a_new_rule_plugs_in_and_the_first_refusal_wins() -> None:
    over_limit = Refused(ErrorCode.ACCOUNT_RESTRICTED, "over the stake limit")

    async def stake_limit(a: StakeAttempt) -> Refused | None:
        return over_limit if a.amount > 500 else None

    async def never(a: StakeAttempt) -> Refused | None:
        raise AssertionError("rules after a refusal do not run")

    assert await refuse_stake(attempt(amount=500), rules=(stake_limit,)) is None
    assert await refuse_stake(attempt(amount=501), rules=(stake_limit, never)) is over_limit


async def test_a_disabled_player_may_not_start_a_round_and_nothing_moves(
    casino: ServerProcess,
) -> None:
    client, player = await new_player(casino.base_url, deposit=1_000)
    player_id = int(str(player["player_id"]))
    db_execute(casino, "UPDATE players SET status = 'disabled' WHERE id = ?", (player_id,))
    try:
        async with client, client.socket() as sock:
            assert client.token is not None
            await sock.hello(client.token)
            refused = await sock.spin("classic-sevens", 100)
            assert (refused["type"], refused["code"]) == ("error", "ACCOUNT_RESTRICTED")
            red = {"bets": [{"type": "red", "amount": 100}]}
            table = await sock.request("play", game="european-roulette", stake=100, options=red)
            assert table["code"] == "ACCOUNT_RESTRICTED"
            assert (await sock.request("balance"))["balance"] == 1_000
    finally:
        db_execute(casino, "UPDATE players SET status = 'active' WHERE id = ?", (player_id,))
