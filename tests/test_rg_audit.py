"""Every responsible-gambling decision is on the audit trail (server/audit/trail.py), written
in the decision's own transaction: a limit set, a looser one asked for and later confirmed, a
time-out and a self-exclusion, each with the player as actor, their address and the figures."""

from __future__ import annotations

import json
from typing import Any

from clients.api import CasinoClient
from server.audit import trail
from server.storage.database import Database
from tests.conftest import ServerProcess, new_player
from tests.support import db as test_db
from tests.test_rg_registration_limits import registered


def entries(casino: ServerProcess, player_id: int) -> list[tuple[str, str, str, str, Any]]:
    rows = test_db.query(
        casino.database_path,
        "SELECT actor, action, reason, address, details FROM audit_trail"
        " WHERE subject = ? AND action LIKE 'rg.%' ORDER BY id",
        (f"player:{player_id}",),
    )
    return [(r[0], r[1], r[2], r[3], json.loads(r[4])) for r in rows]


async def put_limit(client: CasinoClient, kind: str, value: int | None) -> None:
    await client.call("PUT", f"/api/rg/limits/{kind}", {"value": value})


async def test_a_limit_set_then_a_raise_asked_for_are_both_on_the_trail(
    casino: ServerProcess,
) -> None:
    client, player = await new_player(casino.base_url)
    async with client:
        await put_limit(client, "deposit_24h", 5_000)
        await put_limit(client, "deposit_24h", 9_000)
    actor = f"player:{player['player_id']}"
    found = entries(casino, int(str(player["player_id"])))
    assert [(a, action, address) for a, action, _, address, _ in found] == [
        (actor, "rg.limit_set", "127.0.0.1"),
        (actor, "rg.limit_pending", "127.0.0.1"),
    ]
    assert found[0][4] == {
        "kind": "deposit_24h", "before": None, "value": 5_000, "pending_value": None,
        "pending_at": None, "currency": "EUR",
    }  # fmt: skip
    assert (found[1][4]["before"], found[1][4]["value"], found[1][4]["pending_value"]) == (
        5_000,
        5_000,
        9_000,
    )


async def test_a_confirmed_raise_is_on_the_trail(casino: ServerProcess) -> None:
    client, player = await new_player(casino.base_url)
    player_id = int(str(player["player_id"]))
    async with client:
        await put_limit(client, "loss_24h", 1_000)
        await put_limit(client, "loss_24h", 3_000)
        with test_db.connect(casino.database_path) as db:
            db.execute(  # the 24 hours have passed
                "UPDATE rg_limits SET pending_at = 1 WHERE player_id = ? AND kind = 'loss_24h'",
                (player_id,),
            )
        await client.call("POST", "/api/rg/limits/loss_24h/confirm", {})
    last = entries(casino, player_id)[-1]
    assert last[:4] == (
        f"player:{player_id}",
        "rg.limit_confirmed",
        "looser value reconfirmed after its delay",
        "127.0.0.1",
    )
    assert last[4] == {"kind": "loss_24h", "before": 1_000, "value": 3_000, "currency": "EUR"}


async def test_a_time_out_is_on_the_trail_with_its_end(casino: ServerProcess) -> None:
    client, player = await new_player(casino.base_url)
    async with client:
        started = await client.call("POST", "/api/rg/time-out", {"hours": 24})
    player_id = int(str(player["player_id"]))
    [(actor, action, reason, address, details)] = entries(casino, player_id)
    assert (actor, action, reason, address) == (
        f"player:{player_id}",
        "rg.time_out",
        "the player's own request; no early end",
        "127.0.0.1",
    )
    assert details["until_ms"] == started["exclusion"]["until_ms"]
    assert details["until_ms"] - details["starts_at"] == 24 * 3600 * 1000


async def test_a_self_exclusion_is_on_the_trail_and_the_chain_still_verifies(
    casino: ServerProcess,
) -> None:
    client, player = await new_player(casino.base_url)
    async with client:
        started = await client.call("POST", "/api/rg/self-exclusion", {"months": 6})
    player_id = int(str(player["player_id"]))
    [(_, action, _, _, details)] = entries(casino, player_id)
    assert (action, details["until_ms"]) == ("rg.self_exclusion", started["exclusion"]["until_ms"])
    db = Database(casino.database_path)
    await db.open()
    try:
        assert (await trail.verify(db)).ok
    finally:
        await db.close()


async def test_limits_chosen_at_registration_are_on_the_trail(casino: ServerProcess) -> None:
    async with CasinoClient(casino.base_url) as client:
        reply = await registered(client, limits={"deposit_7d": 10_000})
    found = entries(casino, int(reply["player_id"]))
    assert [(action, details["kind"], details["value"]) for _, action, _, _, details in found] == [
        ("rg.limit_set", "deposit_7d", 10_000)
    ]
