"""Provider conformance: free-bet campaigns (Hub88's freebet rewards), awarded for real. Staff
offer a campaign to a player, the player accepts, the casino awards it at the provider (the
simulator, its own process) and the provider's bets for it arrive flagged is_free with its
reward_uuid: each plays one round at the campaign's stake with nothing from cash, a retry plays
nothing twice, a rollback gives the round back; a reward_uuid that is unknown, another player's,
used up, or of an award not active yet is refused with its own status and moves nothing. The
ledger reconciles (cash, bonus, bonus cost) after every test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from clients.api import CasinoClient
from clients.provider_sim import ProviderClient, Signer, new_uuid
from tests.conftest import ServerProcess, new_player, settled_report, unique
from tests.support.campaigns import GAME, CampaignSim, campaign_sim
from tests.support.kyc import STAFF_TOKEN
from tests.support.provider import (
    Table,
    active_bonus,
    db_query,
    durable_row,
    forget_in_redis,
    launch,
    sub_balances,
)

__all__ = ["campaign_sim"]  # the module's simulator process (a fixture)

STAKE = 100
STAFF = {"Authorization": f"Bearer {STAFF_TOKEN}"}


async def award_campaign(
    casino: ServerProcess, sim: CampaignSim, player: CasinoClient, rounds: int = 3
) -> tuple[str, int]:
    """Offer the player a campaign of `rounds` free rounds at STAKE (10x) and accept it:
    (its reward_uuid, its award id)."""
    player_id = int((await player.call("GET", "/api/me"))["player_id"])
    async with CasinoClient(casino.base_url) as staff:
        definition = await staff.call("POST", "/api/staff/bonus/definitions", {
            "name": unique("campaign "), "currency": "EUR", "kind": "free_spins",
            "trigger": "campaign", "provider": sim.provider_id, "game": GAME, "spins": rounds,
            "spin_stake": STAKE, "wagering": 10, "weights": {"slots": 100},
        }, headers=STAFF)  # fmt: skip
        offered = await staff.call("POST", "/api/staff/bonus/campaigns",
                                   {"definition_id": definition["id"], "player_id": player_id},
                                   headers=STAFF)  # fmt: skip
    accepted = await player.call("POST", "/api/bonus/claim", {"campaign": offered["campaign"]})
    stored = db_query(casino, "SELECT reward_uuid FROM provider_campaigns WHERE campaign_uuid = ?",
                      (offered["campaign"],))  # fmt: skip
    return str(stored[0][0]), int(accepted["award_id"])


async def sit(casino: ServerProcess, sim: CampaignSim, deposit: int) -> Table:
    """A new player with a deposit, in a game session of the simulator's provider."""
    player, _ = await new_player(casino.base_url, deposit=deposit)
    provider = ProviderClient(casino.base_url, sim.provider_id, Signer(secret=sim.secret))
    session = await provider.open_session(await launch(player, sim.provider_id, GAME))
    return Table(provider, player, session)


async def leave(table: Table) -> None:
    await table.provider.aclose()
    await table.player.http.aclose()


@pytest.fixture
async def rewarded(
    casino: ServerProcess, campaign_sim: CampaignSim
) -> AsyncIterator[tuple[Table, str]]:
    """A seated player (cash 5_000) holding an accepted campaign of 3 free rounds at 1.00,
    10x, and its reward_uuid."""
    table = await sit(casino, campaign_sim, 5_000)
    reward, _ = await award_campaign(casino, campaign_sim, table.player)
    yield table, reward
    await leave(table)
    report = await settled_report(casino)
    assert report.ok, "\n".join(report.lines())


async def test_a_free_bet_with_its_reward_is_paid_at_stake_with_nothing_from_cash(
    casino: ServerProcess, rewarded: tuple[Table, str]
) -> None:
    table, reward = rewarded
    placed = await table.bet(STAKE, is_free=True, reward_uuid=reward)
    assert (placed["status"], placed["balance"]) == ("RS_OK", 5_000)
    assert await sub_balances(casino, table) == (5_000, 0)
    assert (await active_bonus(table))["free_spins"]["left"] == 2


async def test_a_free_rounds_win_is_bonus_money_under_the_campaigns_wagering(
    casino: ServerProcess, rewarded: tuple[Table, str]
) -> None:
    table, reward = rewarded
    body = table.body(currency="EUR", amount=STAKE, is_free=True, reward_uuid=reward)
    assert (await table.send("bet", body))["status"] == "RS_OK"
    won = await table.win(body["transaction_uuid"], 400, round_closed=True)
    assert (won["status"], won["balance"]) == ("RS_OK", 5_000)
    assert await sub_balances(casino, table) == (5_000, 400)
    assert ((bonus := await active_bonus(table))["wagered"], bonus["required"]) == (0, 4_000)


async def test_a_retried_free_bet_with_its_reward_plays_one_round(
    casino: ServerProcess, rewarded: tuple[Table, str]
) -> None:
    table, reward = rewarded
    body = table.body(currency="EUR", amount=STAKE, is_free=True, reward_uuid=reward)
    assert (await table.send("bet", body))["status"] == "RS_OK"
    assert (await table.send("bet", body))["status"] == "RS_OK"
    assert (await active_bonus(table))["free_spins"]["left"] == 2
    await settled_report(casino)  # the flusher has written the journal
    funded = db_query(
        casino, "SELECT COUNT(*), SUM(bonus) FROM bonus_movements WHERE movement = 'free_round'"
        " AND player_id = ?", (int(table.user),),
    )  # fmt: skip
    assert funded == [(1, STAKE)]


async def test_a_retry_naming_another_reward_is_a_duplicate(
    casino: ServerProcess, rewarded: tuple[Table, str]
) -> None:
    table, reward = rewarded
    body = table.body(currency="EUR", amount=STAKE, is_free=True, reward_uuid=reward)
    assert (await table.send("bet", body))["status"] == "RS_OK"
    other = await table.send("bet", {**body, "reward_uuid": new_uuid()})
    assert other["status"] == "RS_ERROR_DUPLICATE_TRANSACTION"
    none = await table.send("bet", {k: v for k, v in body.items() if k != "reward_uuid"})
    assert none["status"] == "RS_ERROR_DUPLICATE_TRANSACTION"
    assert await sub_balances(casino, table) == (5_000, 0)
    assert (await active_bonus(table))["free_spins"]["left"] == 2


async def test_a_retry_naming_another_reward_after_redis_forgot_it_is_a_duplicate(
    casino: ServerProcess, rewarded: tuple[Table, str]
) -> None:
    table, reward = rewarded
    body = table.body(currency="EUR", amount=STAKE, is_free=True, reward_uuid=reward)
    assert (await table.send("bet", body))["status"] == "RS_OK"
    await durable_row(casino, body["transaction_uuid"])
    await forget_in_redis(casino, table, body["transaction_uuid"])
    other = await table.send("bet", {**body, "reward_uuid": new_uuid()})
    assert other["status"] == "RS_ERROR_DUPLICATE_TRANSACTION"
    again = await table.send("bet", body)
    assert (again["status"], again["balance"]) == ("RS_OK", 5_000)
    assert (await active_bonus(table))["free_spins"]["left"] == 2


async def test_a_rolled_back_free_bet_gives_the_round_back(
    casino: ServerProcess, rewarded: tuple[Table, str]
) -> None:
    table, reward = rewarded
    body = table.body(currency="EUR", amount=STAKE, is_free=True, reward_uuid=reward)
    assert (await table.send("bet", body))["status"] == "RS_OK"
    undone = await table.rollback(body["transaction_uuid"])
    assert (undone["status"], undone["balance"]) == ("RS_OK", 5_000)
    assert await sub_balances(casino, table) == (5_000, 0)
    assert (await active_bonus(table))["free_spins"]["left"] == 3


async def test_a_free_bet_with_an_unknown_reward_is_refused_and_moves_nothing(
    casino: ServerProcess, rewarded: tuple[Table, str]
) -> None:
    table, _ = rewarded
    refused = await table.bet(STAKE, is_free=True, reward_uuid=new_uuid())
    assert refused["status"] == "RS_ERROR_UNKNOWN_REWARD"
    assert await sub_balances(casino, table) == (5_000, 0)
    assert (await active_bonus(table))["free_spins"]["left"] == 3


async def test_a_free_bet_with_another_players_reward_is_refused_and_moves_nothing(
    casino: ServerProcess, campaign_sim: CampaignSim, rewarded: tuple[Table, str]
) -> None:
    table, _ = rewarded
    other = await sit(casino, campaign_sim, 100)
    try:
        theirs, _ = await award_campaign(casino, campaign_sim, other.player, rounds=2)
        refused = await table.bet(STAKE, is_free=True, reward_uuid=theirs)
        assert refused["status"] == "RS_ERROR_REWARD_OF_ANOTHER_USER"
        assert await sub_balances(casino, table) == (5_000, 0)
        assert ((await active_bonus(table))["free_spins"]["left"],
                (await active_bonus(other))["free_spins"]["left"]) == (3, 2)  # fmt: skip
    finally:
        await leave(other)


async def test_a_free_bet_after_the_campaigns_last_round_is_refused_as_used_up(
    casino: ServerProcess, rewarded: tuple[Table, str]
) -> None:
    table, reward = rewarded
    for _ in range(3):
        assert (await table.bet(STAKE, is_free=True, reward_uuid=reward))["status"] == "RS_OK"
    refused = await table.bet(STAKE, is_free=True, reward_uuid=reward)
    assert refused["status"] == "RS_ERROR_REWARD_USED_UP"
    assert await sub_balances(casino, table) == (5_000, 0)


async def test_a_reward_whose_award_waits_in_the_queue_is_not_played_yet(
    casino: ServerProcess, campaign_sim: CampaignSim, rewarded: tuple[Table, str]
) -> None:
    table, _ = rewarded
    queued, _ = await award_campaign(casino, campaign_sim, table.player, rounds=2)
    refused = await table.bet(STAKE, is_free=True, reward_uuid=queued)
    assert refused["status"] == "RS_ERROR_REWARD_USED_UP"
    assert await sub_balances(casino, table) == (5_000, 0)
    assert (await active_bonus(table))["free_spins"]["left"] == 3


async def test_a_free_bet_naming_no_reward_plays_no_campaign_round(
    casino: ServerProcess, rewarded: tuple[Table, str]
) -> None:
    table, _ = rewarded
    refused = await table.bet(STAKE, is_free=True)
    assert refused["status"] == "RS_ERROR_LIMIT_REACHED"
    assert await sub_balances(casino, table) == (5_000, 0)
    assert (await active_bonus(table))["free_spins"]["left"] == 3


async def test_a_paid_bet_naming_a_reward_is_an_ordinary_paid_bet(
    casino: ServerProcess, rewarded: tuple[Table, str]
) -> None:
    table, reward = rewarded
    placed = await table.bet(STAKE, reward_uuid=reward)
    assert (placed["status"], placed["balance"]) == ("RS_OK", 5_000 - STAKE)
    assert (await active_bonus(table))["free_spins"]["left"] == 3
