"""Provider free-bet campaigns as offers (issue 18): staff offer a campaign definition's free
rounds to one player; nothing reaches the provider until the player opts in; accepting awards
the campaign at the provider (the simulator, its own process), records its reward_uuid and
queues the bonus award in one step; a provider that fails leaves the offer open to accept again
and awards nothing; the provider then plays the rounds as free bets naming the reward, and their
winnings are bonus money under the campaign's wagering. The ledger reconciles after each test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from clients.api import ApiFailure, CasinoClient
from tests.conftest import ServerProcess, new_player, settled_report, unique
from tests.support.campaigns import GAME, CampaignSim, campaign_sim
from tests.support.kyc import STAFF_TOKEN
from tests.support.provider import db_query, launch

__all__ = ["campaign_sim"]  # the module's simulator process (a fixture)

STAKE = 100
STAFF = {"Authorization": f"Bearer {STAFF_TOKEN}"}


@pytest.fixture(autouse=True)
async def reconciled(casino: ServerProcess) -> AsyncIterator[None]:
    yield
    report = await settled_report(casino)
    assert report.ok, "\n".join(report.lines())


async def staff(casino: ServerProcess, path: str, body: dict[str, Any]) -> dict[str, Any]:
    async with CasinoClient(casino.base_url) as client:
        answer: dict[str, Any] = await client.call("POST", path, body, headers=STAFF)
    return answer


async def campaign_definition(casino: ServerProcess, sim: CampaignSim, rounds: int = 3) -> int:
    found = await staff(casino, "/api/staff/bonus/definitions", {
        "name": unique("campaign "), "currency": "EUR", "kind": "free_spins",
        "trigger": "campaign", "provider": sim.provider_id, "game": GAME, "spins": rounds,
        "spin_stake": STAKE, "wagering": 10, "weights": {"slots": 100},
    })  # fmt: skip
    return int(found["id"])


@pytest.fixture
async def offered(
    casino: ServerProcess, campaign_sim: CampaignSim
) -> AsyncIterator[tuple[CasinoClient, int, dict[str, Any]]]:
    """A player (cash 1_000), their id, and a campaign of 3 free rounds offered to them."""
    player, _ = await new_player(casino.base_url, deposit=1_000)
    player_id = int((await player.call("GET", "/api/me"))["player_id"])
    definition = await campaign_definition(casino, campaign_sim)
    campaign = await staff(casino, "/api/staff/bonus/campaigns",
                           {"definition_id": definition, "player_id": player_id})  # fmt: skip
    yield player, player_id, campaign
    await player.http.aclose()


async def page(player: CasinoClient) -> dict[str, Any]:
    found: dict[str, Any] = await player.call("GET", "/api/bonus")
    return found


def awards(casino: ServerProcess, player_id: int) -> list[Any]:
    return db_query(casino, "SELECT status FROM bonus_awards WHERE player_id = ?", (player_id,))


async def test_an_offered_campaign_is_listed_to_its_player_and_not_yet_at_the_provider(
    casino: ServerProcess, campaign_sim: CampaignSim, offered: tuple[CasinoClient, int, Any]
) -> None:
    player, player_id, campaign = offered
    assert (campaign["status"], campaign["player_id"], campaign["rounds"], campaign["stake"]) == (
        "offered", player_id, 3, STAKE,
    )  # fmt: skip
    listed = [o for o in (await page(player))["offers"] if o.get("campaign")]
    assert [(o["campaign"], o["spins"], o["game"]) for o in listed] == [
        (campaign["campaign"], 3, GAME)
    ]
    assert (await campaign_sim.call("GET", f"/campaigns/{campaign['campaign']}"))[0] == 404
    assert awards(casino, player_id) == []


async def test_a_campaign_definition_is_offered_to_no_one_else(
    casino: ServerProcess, campaign_sim: CampaignSim, offered: tuple[CasinoClient, int, Any]
) -> None:
    _, _, campaign = offered
    other, _ = await new_player(casino.base_url)
    try:
        assert [
            o for o in (await page(other))["offers"] if o["id"] == campaign["definition_id"]
        ] == []
        with pytest.raises(ApiFailure) as refused:
            await other.call("POST", "/api/bonus/claim",
                             {"definition_id": campaign["definition_id"]})  # fmt: skip
        assert refused.value.code == "BONUS_NOT_AVAILABLE"
        with pytest.raises(ApiFailure) as theirs:
            await other.call("POST", "/api/bonus/claim", {"campaign": campaign["campaign"]})
        assert theirs.value.code == "BONUS_NOT_AVAILABLE"
    finally:
        await other.http.aclose()


async def test_accepting_awards_the_campaign_at_the_provider_and_activates_its_rounds(
    casino: ServerProcess, campaign_sim: CampaignSim, offered: tuple[CasinoClient, int, Any]
) -> None:
    player, _, campaign = offered
    accepted = await player.call("POST", "/api/bonus/claim", {"campaign": campaign["campaign"]})
    assert accepted["active"]["free_spins"] == {
        "left": 3, "game": f"{campaign_sim.provider_id}:{GAME}", "stake": STAKE,
    }  # fmt: skip
    assert [o for o in accepted["offers"] if o.get("campaign")] == []
    status, at_provider = await campaign_sim.call("GET", f"/campaigns/{campaign['campaign']}")
    assert (status, at_provider["rounds"], at_provider["left"]) == (200, 3, 3)
    stored = db_query(
        casino, "SELECT status, reward_uuid, award_id FROM provider_campaigns"
        " WHERE campaign_uuid = ?", (campaign["campaign"],),
    )  # fmt: skip
    assert stored == [("awarded", at_provider["reward_uuid"], accepted["award_id"])]


async def test_a_campaign_is_accepted_once(
    casino: ServerProcess, offered: tuple[CasinoClient, int, Any]
) -> None:
    player, player_id, campaign = offered
    await player.call("POST", "/api/bonus/claim", {"campaign": campaign["campaign"]})
    with pytest.raises(ApiFailure) as again:
        await player.call("POST", "/api/bonus/claim", {"campaign": campaign["campaign"]})
    assert again.value.code == "BONUS_NOT_AVAILABLE"
    assert awards(casino, player_id) == [("active",)]


async def test_a_provider_that_fails_leaves_the_offer_open_and_awards_nothing(
    casino: ServerProcess, campaign_sim: CampaignSim, offered: tuple[CasinoClient, int, Any]
) -> None:
    player, player_id, campaign = offered
    await campaign_sim.call("POST", "/admin/faults", {"fault": "dead"})
    try:
        with pytest.raises(ApiFailure) as down:
            await player.call("POST", "/api/bonus/claim", {"campaign": campaign["campaign"]})
    finally:
        await campaign_sim.call("POST", "/admin/faults", {"fault": "none"})
    assert (down.value.status, down.value.code) == (503, "PROVIDER_UNAVAILABLE")
    assert awards(casino, player_id) == []
    listed = [o["campaign"] for o in (await page(player))["offers"] if o.get("campaign")]
    assert listed == [campaign["campaign"]]
    accepted = await player.call("POST", "/api/bonus/claim", {"campaign": campaign["campaign"]})
    assert accepted["active"]["free_spins"]["left"] == 3


async def test_the_provider_plays_the_rounds_and_their_win_is_bonus_under_wagering(
    casino: ServerProcess, campaign_sim: CampaignSim, offered: tuple[CasinoClient, int, Any]
) -> None:
    player, _, campaign = offered
    await player.call("POST", "/api/bonus/claim", {"campaign": campaign["campaign"]})
    launched = await launch(player, campaign_sim.provider_id, GAME)
    status, played = await campaign_sim.call(
        "POST", f"/campaigns/{campaign['campaign']}/play",
        {"token": launched["token"], "rounds": 2, "payouts": [150, 0]},
    )  # fmt: skip
    assert status == 200
    assert [(p["bet"], p["win"]) for p in played["played"]] == [("RS_OK", "RS_OK")] * 2
    bonus = await page(player)
    assert (bonus["bonus_balance"], bonus["active"]["free_spins"]["left"]) == (150, 1)
    assert (bonus["active"]["wagered"], bonus["active"]["required"]) == (0, 1_500)
    assert (await player.call("GET", "/api/wallet"))["balance"] == 1_000


async def test_staff_offer_only_campaign_definitions_to_existing_players(
    casino: ServerProcess, campaign_sim: CampaignSim, offered: tuple[CasinoClient, int, Any]
) -> None:
    _, player_id, campaign = offered
    plain = await staff(casino, "/api/staff/bonus/definitions", {
        "name": unique("plain "), "currency": "EUR", "kind": "welcome", "trigger": "manual",
        "amount": 500, "wagering": 5,
    })  # fmt: skip
    async with CasinoClient(casino.base_url) as client:
        for body, code in (
            ({"definition_id": plain["id"], "player_id": player_id}, "VALIDATION_FAILED"),
            ({"definition_id": campaign["definition_id"], "player_id": 2**40}, "NOT_FOUND"),
            ({"definition_id": "1", "player_id": player_id}, "VALIDATION_FAILED"),
        ):
            with pytest.raises(ApiFailure) as refused:
                await client.call("POST", "/api/staff/bonus/campaigns", body, headers=STAFF)
            assert refused.value.code == code


async def test_a_campaign_trigger_is_only_for_free_rounds_on_a_provider_game(
    casino: ServerProcess,
) -> None:
    async with CasinoClient(casino.base_url) as client:
        with pytest.raises(ApiFailure) as refused:
            await client.call("POST", "/api/staff/bonus/definitions", {
                "name": unique("bad "), "currency": "EUR", "kind": "welcome",
                "trigger": "campaign", "amount": 500,
            }, headers=STAFF)  # fmt: skip
    assert (refused.value.code, refused.value.params.get("field")) == (
        "VALIDATION_FAILED", "trigger",
    )  # fmt: skip
