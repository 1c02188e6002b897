"""The provider simulator as its own process takes free-bet campaigns (Hub88's rewards): a call
signed as the casino signs its calls creates one for a player, game, rounds and stake and
answers its reward_uuid; the same campaign id again answers the same reward, other terms are
refused; and the simulator plays the campaign's rounds itself as is_free bets carrying the
reward_uuid, through the real wallet API (tests/test_provider_campaigns.py plays an awarded
one). The ledger reconciles after each test."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest

from tests.conftest import ServerProcess, new_player, settled_report
from tests.support.campaigns import GAME, CampaignSim, campaign_sim, campaign_terms
from tests.support.provider import launch

__all__ = ["campaign_sim"]  # the module's simulator process (a fixture)


@pytest.fixture(autouse=True)
async def reconciled(casino: ServerProcess) -> AsyncIterator[None]:
    yield
    report = await settled_report(casino)
    assert report.ok, "\n".join(report.lines())


async def test_a_signed_campaign_is_created_with_its_reward(campaign_sim: CampaignSim) -> None:
    terms = campaign_terms("42", rounds=5, stake=200)
    status, body = await campaign_sim.casino_call(terms)
    assert status == 200
    assert (body["status"], body["campaign_uuid"], body["rounds"], body["left"]) == (
        "RS_OK", terms["campaign_uuid"], 5, 5,
    )  # fmt: skip
    assert len(body["reward_uuid"]) == 36


async def test_the_same_campaign_again_answers_the_same_reward(campaign_sim: CampaignSim) -> None:
    terms = campaign_terms("42")
    first = await campaign_sim.casino_call(terms)
    again = await campaign_sim.casino_call(terms)
    assert again == first
    assert (await campaign_sim.call("GET", "/health"))[1]["campaigns"] >= 1


async def test_the_same_campaign_id_with_other_terms_is_refused(campaign_sim: CampaignSim) -> None:
    terms = campaign_terms("42", rounds=3)
    assert (await campaign_sim.casino_call(terms))[0] == 200
    status, body = await campaign_sim.casino_call({**terms, "rounds": 4})
    assert (status, body["status"]) == (409, "RS_ERROR_DUPLICATE_TRANSACTION")


async def test_a_campaign_signed_with_another_secret_is_refused(
    campaign_sim: CampaignSim,
) -> None:
    terms = campaign_terms("42")
    status, body = await campaign_sim.casino_call(terms, secret="not-the-providers-secret")
    assert (status, body["status"]) == (401, "RS_ERROR_INVALID_SIGNATURE")
    assert (await campaign_sim.call("GET", f"/campaigns/{terms['campaign_uuid']}"))[0] == 404


async def test_a_campaign_with_a_stale_timestamp_is_refused(campaign_sim: CampaignSim) -> None:
    stale = str(int(time.time()) - 301)
    status, body = await campaign_sim.casino_call(campaign_terms("42"), stamp=stale)
    assert (status, body["status"]) == (401, "RS_ERROR_INVALID_SIGNATURE")


async def test_a_provider_that_is_down_answers_503_and_keeps_nothing(
    campaign_sim: CampaignSim,
) -> None:
    await campaign_sim.call("POST", "/admin/faults", {"fault": "dead"})
    try:
        terms = campaign_terms("42")
        assert (await campaign_sim.casino_call(terms))[0] == 503
    finally:
        await campaign_sim.call("POST", "/admin/faults", {"fault": "none"})
    assert (await campaign_sim.call("GET", f"/campaigns/{terms['campaign_uuid']}"))[0] == 404


async def test_the_simulator_plays_rounds_as_free_bets_with_the_reward_and_stops_at_a_refusal(
    casino: ServerProcess, campaign_sim: CampaignSim
) -> None:
    """A campaign the casino never awarded: its first free bet, naming the reward, is refused
    (the casino does not know it) and the simulator plays no further round."""
    player, _ = await new_player(casino.base_url, deposit=1_000)
    try:
        launched = await launch(player, campaign_sim.provider_id, GAME)
        terms = campaign_terms(launched["user"], rounds=3, stake=100)
        assert (await campaign_sim.casino_call(terms))[0] == 200
        status, body = await campaign_sim.call(
            "POST", f"/campaigns/{terms['campaign_uuid']}/play", {"token": launched["token"]}
        )
        assert status == 200
        assert [p["bet"] for p in body["played"]] == ["RS_ERROR_UNKNOWN_REWARD"]
        assert body["left"] == 3
        assert (await player.call("GET", "/api/wallet"))["balance"] == 1_000
    finally:
        await player.http.aclose()
