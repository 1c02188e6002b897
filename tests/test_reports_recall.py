"""Game recall on a real server: a player recalls their own rounds (inputs, proof, outcome,
balances before and after, the server's verification, the server seed once rotated out),
never another's; staff recall any round; the last rounds of each game stay in reach
(GLI-19) however much the player plays another."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from clients.api import ApiFailure, CasinoClient
from tests.conftest import ServerProcess, new_player
from tests.support.kyc import STAFF_TOKEN

STAFF = {"Authorization": f"Bearer {STAFF_TOKEN}"}
SLOT = "classic-sevens"
OTHER = "european-roulette"


async def spin(client: CasinoClient, count: int, game: str = SLOT) -> list[dict[str, Any]]:
    assert client.token is not None
    async with client.socket() as sock:
        await sock.hello(client.token)
        if game == SLOT:
            return [await sock.spin(SLOT, 100) for _ in range(count)]
        bets = [{"type": "red", "amount": 100}]
        return [
            await sock.request("play", game=game, stake=100, options={"bets": bets})
            for _ in range(count)
        ]


async def recall(client: CasinoClient, round_id: str) -> dict[str, Any]:
    """The player's recall of a round once the flusher has stored it (bounded wait)."""
    for _ in range(100):
        try:
            found: dict[str, Any] = await client.call("GET", f"/api/rounds/{round_id}")
            return found
        except ApiFailure as refused:
            if refused.code != "NOT_FOUND":
                raise
        await asyncio.sleep(0.05)
    raise AssertionError(f"round {round_id} never became durable")


async def test_a_player_recalls_a_round_with_inputs_proof_outcome_and_balances(
    casino: ServerProcess,
) -> None:
    client, _ = await new_player(casino.base_url, deposit=5_000)
    (played,) = await spin(client, 1)
    recalled = await recall(client, played["round_id"])
    (listed,) = (await client.call("GET", "/api/rounds?limit=1"))["rounds"]
    assert recalled["round_id"] == played["round_id"] == listed["round_id"]
    assert (recalled["game"], recalled["status"], recalled["stake"]) == (SLOT, "settled", 100)
    assert (recalled["balance_before"], recalled["balance_after"]) == (
        5_000, 5_000 - 100 + recalled["payout"],
    )  # fmt: skip
    assert recalled["inputs"] == listed["inputs"] and recalled["outcome"] == listed["outcome"]
    assert recalled["proof"] == {**listed["proof"], "server_seed": None}
    assert recalled["verification"]["verdict"] == "not-revealed"
    assert client.token is not None
    async with client.socket() as sock:
        await sock.hello(client.token)
        await sock.request("rotate_seed")
    again = await client.call("GET", f"/api/rounds/{listed['round_id']}")
    assert again["verification"]["verdict"] == "match"
    assert len(again["proof"]["server_seed"]) == 64
    await client.http.aclose()


async def test_another_players_round_is_not_found_and_staff_recall_any_round(
    casino: ServerProcess,
) -> None:
    ann, me = await new_player(casino.base_url, deposit=1_000)
    bob, _ = await new_player(casino.base_url)
    (played,) = await spin(ann, 1)
    round_id = played["round_id"]
    await recall(ann, round_id)  # durable: ann sees it
    try:
        await bob.call("GET", f"/api/rounds/{round_id}")
        raise AssertionError("bob recalled ann's round")
    except ApiFailure as refused:
        assert (refused.status, refused.code) == (404, "NOT_FOUND")
    async with httpx.AsyncClient(base_url=casino.base_url) as http:
        staff = await http.get(f"/api/staff/rounds/{round_id}", headers=STAFF)
        assert staff.status_code == 200, staff.text
        assert (staff.json()["player_id"], staff.json()["round_id"]) == (me["player_id"], round_id)
        anonymous = await http.get(f"/api/staff/rounds/{round_id}")
        assert (anonymous.status_code, anonymous.json()["error"]["code"]) == (401, "STAFF_ONLY")
        missing = await http.get("/api/staff/rounds/no-such-round", headers=STAFF)
        assert (missing.status_code, missing.json()["error"]["code"]) == (404, "NOT_FOUND")
    await ann.http.aclose()
    await bob.http.aclose()


async def test_the_last_ten_rounds_of_a_game_stay_in_reach_after_many_of_another(
    casino: ServerProcess,
) -> None:
    client, _ = await new_player(casino.base_url, deposit=10_000)
    slot_rounds = [r["round_id"] for r in await spin(client, 11)]
    others = await spin(client, 12, OTHER)
    await recall(client, others[-1]["round_id"])  # every round before it is durable too
    latest = (await client.call("GET", "/api/rounds?limit=10"))["rounds"]
    assert {r["game"] for r in latest} == {OTHER}
    of_slot = (await client.call("GET", f"/api/rounds?game={SLOT}&limit=10"))["rounds"]
    assert [r["round_id"] for r in of_slot] == slot_rounds[::-1][:10]
    try:
        await client.call("GET", "/api/rounds?game=no-such-game")
        raise AssertionError("an unknown game was accepted")
    except ApiFailure as refused:
        assert refused.code == "VALIDATION_FAILED"
    await client.http.aclose()
