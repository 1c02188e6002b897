"""The reports on a real server (real redis-server, SQLite, sandbox gateway and provider):
after a scripted day of our rounds, provider rounds, deposits, a withdrawal and a bonus,
every report agrees to the cent with the ledger; JSON and CSV; staff only."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from clients.api import CasinoClient
from clients.provider_sim import new_uuid
from tests.conftest import ServerProcess, settled_report
from tests.support import db as test_db
from tests.support.kyc import STAFF_TOKEN
from tests.support.payments import Paying, pay, paying, player, world
from tests.support.provider import seat

__all__ = ["paying", "world"]  # the module's gateway, server and Redis

STAFF = {"Authorization": f"Bearer {STAFF_TOKEN}"}
SLOT = "classic-sevens"


def ledger(server: ServerProcess, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
    return test_db.query(server.database_path, sql, params)


def ledger_figures(server: ServerProcess) -> dict[str, int]:
    """The day's figures as the ledger (and money's own durable records) tell them."""
    (by_kind,) = [
        dict(
            ledger(server, "SELECT kind, SUM(amount) FROM ledger_transfers WHERE currency = 'EUR'"
                   " GROUP BY kind")
        )
    ]  # fmt: skip
    stakes = (
        by_kind.get("stake", 0) + by_kind.get("provider_bet", 0)
        - by_kind.get("provider_rollback", 0)
    )  # fmt: skip
    wins = by_kind.get("payout", 0) + by_kind.get("provider_win", 0)
    ((cost,),) = ledger(
        server, "SELECT -balance FROM ledger_accounts WHERE code = 'house:bonus_cost:EUR'"
    )
    ((players,),) = ledger(
        server,
        "SELECT COUNT(DISTINCT player_id) FROM (SELECT player_id FROM rounds"
        " WHERE status = 'settled' UNION SELECT player_id FROM provider_transactions"
        " WHERE kind = 'bet') AS players",  # PostgreSQL needs the subquery named
    )
    ((ours,),) = ledger(server, "SELECT COUNT(*) FROM rounds WHERE status = 'settled'")
    ((theirs,),) = ledger(
        server,
        "SELECT COUNT(DISTINCT provider_id || ':' || round_id) FROM provider_transactions"
        " WHERE kind = 'bet'",
    )
    ((deposits,),) = ledger(server, "SELECT COUNT(*) FROM deposits")
    return {
        "stakes": stakes, "wins": wins, "ggr": stakes - wins, "bonus_cost": cost,
        "ngr": stakes - wins - cost, "players": players, "rounds": ours + theirs,
        "deposits": by_kind.get("deposit", 0), "deposit_count": deposits,
        "withdrawals": by_kind.get("withdrawal", 0),
    }  # fmt: skip


async def report(http: httpx.AsyncClient, path: str, **query: str) -> dict[str, Any]:
    reply = await http.get(f"/api/staff/reports/{path}", params=query, headers=STAFF)
    assert reply.status_code == 200, reply.text
    found: dict[str, Any] = reply.json()
    return found


async def eventually(
    read: Callable[[], Any], expected: Callable[[Any], Any], want: Any, timeout_s: float = 20
) -> Any:
    """`read()` until `expected(found) == want` (the feeder follows the streams), bounded."""
    for _ in range(int(timeout_s / 0.2)):
        found = await read()
        if expected(found) == want:
            return found
        await asyncio.sleep(0.2)
    return found


async def spins(client: CasinoClient, stake: int, count: int) -> None:
    assert client.token is not None
    async with client.socket() as sock:
        await sock.hello(client.token)
        for _ in range(count):
            assert (await sock.spin(SLOT, stake))["type"] == "spin"


async def scripted_day(world: Paying) -> CasinoClient:
    """Our rounds, a withdrawal, a bonus granted and forfeited, provider rounds (one rolled
    back); the player who deposited, played and withdrew."""
    base = world.server.base_url
    ann = await player(base, verified=True)
    status, body = await pay(ann, "deposits", 5_000)
    assert (status, body["status"]) == (201, "completed"), body
    await spins(ann, 100, 10)
    status, body = await pay(ann, "withdrawals", 1_800)
    assert (status, body["status"]) == (201, "completed"), body
    bob = await player(base)
    async with CasinoClient(base) as staff:
        gift = await staff.call(
            "POST", "/api/staff/bonus/definitions",
            {"name": "day gift", "currency": "EUR", "kind": "no_deposit", "trigger": "manual",
             "amount": 2_500, "wagering": 20},
            headers=STAFF,
        )  # fmt: skip
    await bob.call("POST", "/api/bonus/claim", {"definition_id": gift["id"]})
    await spins(bob, 100, 5)
    await bob.call("POST", "/api/bonus/forfeit")
    await bob.http.aclose()
    table = await seat(world.server, deposit=4_000)
    try:
        bet = await table.bet(300)
        assert (await table.win(bet["transaction_uuid"], 500, round_closed=True))[
            "status"
        ] == "RS_OK"
        table.round = new_uuid()
        second = await table.bet(200)
        assert (await table.rollback(second["transaction_uuid"]))["status"] == "RS_OK"
    finally:
        await table.provider.aclose()
        await table.player.http.aclose()
    return ann


def today() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d")


async def test_after_a_scripted_day_every_report_agrees_with_the_ledger_to_the_cent(
    world: Paying,
) -> None:
    ann = await scripted_day(world)
    server = world.server
    await settled_report(server)  # every round and movement is in the ledger
    expected = ledger_figures(server)
    # What the script fixed (the spins' wins are the generator's): 10 + 5 spins of 1.00, a
    # provider bet of 3.00 and one of 2.00 rolled back; 50.00 and 40.00 in, 18.00 out.
    assert [expected[k] for k in ("stakes", "rounds", "players", "deposits", "withdrawals")] == [
        1_800, 17, 3, 9_000, 1_800,
    ]  # fmt: skip
    me = await ann.call("GET", "/api/me")
    ann_id = int(me["player_id"])
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        daily = await eventually(
            lambda: report(http, "daily", **{"from": today(), "currency": "EUR"}),
            lambda found: (
                {k: v for k, v in found["totals"][0].items() if k in expected}
                if found["totals"]
                else None
            ),
            expected,
        )
        (total,) = daily["totals"]
        assert {k: total[k] for k in expected} == expected
        assert [(row["day"], row["currency"]) for row in daily["rows"]] == [(today(), "EUR")]
        games = (await report(http, "games", **{"from": today()}))["rows"]
        ours = dict(
            ledger(server, "SELECT game_id, SUM(stake - payout) FROM rounds"
                   " WHERE status = 'settled' GROUP BY game_id")
        )  # fmt: skip
        theirs = dict(
            ledger(
                server,
                "SELECT game_code, SUM(CASE kind WHEN 'bet' THEN amount WHEN 'win' THEN -amount"
                " ELSE -amount END) FROM provider_transactions GROUP BY game_code",
            )
        )
        assert {(r["provider"], r["game"]): r["ggr"] for r in games} == {
            **{("house", game): ggr for game, ggr in ours.items()},
            **{("sandbox", game): ggr for game, ggr in theirs.items()},
        }
        assert sum(r["stakes"] for r in games) == expected["stakes"]
        assert sum(r["wins"] for r in games) == expected["wins"]
        (owed,) = (await report(http, "liabilities"))["rows"]
        ((cash, bonus, locked),) = ledger(
            server,
            "SELECT SUM(CASE kind WHEN 'player_cash' THEN balance ELSE 0 END),"
            " SUM(CASE kind WHEN 'player_bonus' THEN balance ELSE 0 END),"
            " SUM(CASE kind WHEN 'withdrawal_locked' THEN balance ELSE 0 END)"
            " FROM ledger_accounts WHERE currency = 'EUR'",
        )
        assert (owed["cash"], owed["bonus"], owed["locked"]) == (cash, bonus, locked)
        assert owed["owed"] == owed["operator_liability"] == cash + bonus + locked
        assert owed["balanced"] is True
        statement = await report(http, f"players/{ann_id}/statement", **{"from": today()})
        ((funds,),) = ledger(
            server, "SELECT SUM(balance) FROM ledger_accounts WHERE player_id = ?"
            " AND kind IN ('player_cash', 'player_bonus', 'withdrawal_locked')", (ann_id,),
        )  # fmt: skip
        assert statement["funds"] == [{"currency": "EUR", "opening": 0, "closing": funds}]
        kinds = [line["kind"] for line in statement["lines"]]
        assert kinds == ["deposit", *["round"] * 10, "withdrawal_locked", "withdrawal_paid"]
        assert statement["lines"][-1]["amount"] == -1_800
    await ann.http.aclose()


async def test_a_report_comes_as_csv_with_the_periods_totals_after_its_days(
    world: Paying,
) -> None:
    client = await player(world.server.base_url, verified=True)
    status, _ = await pay(client, "deposits", 2_000)
    assert status == 201
    await client.http.aclose()
    async with httpx.AsyncClient(base_url=world.server.base_url) as http:
        await eventually(
            lambda: report(http, "daily", **{"from": today()}),
            lambda found: found["totals"][0]["deposit_count"] > 0 if found["totals"] else False,
            True,
        )
        reply = await http.get(
            "/api/staff/reports/daily", params={"from": today(), "format": "csv"}, headers=STAFF
        )
        assert reply.headers["content-type"] == "text/csv; charset=utf-8"
        rows = list(csv.DictReader(io.StringIO(reply.text)))
        assert [row["day"] for row in rows] == [today(), "total"]
        assert rows[0]["deposits"] == rows[1]["deposits"] != "0"
        assert list(rows[0])[:5] == ["day", "currency", "stakes", "wins", "ggr"]
        empty = await http.get(
            "/api/staff/reports/games",
            params={"from": "2001-01-01", "to": "2001-01-02", "format": "csv"}, headers=STAFF,
        )  # fmt: skip
        assert empty.text == "day,provider,game,currency,stakes,wins,ggr,players,rounds\n"


async def test_the_reports_are_for_staff_only_and_refuse_a_bad_period(world: Paying) -> None:
    async with httpx.AsyncClient(base_url=world.server.base_url) as http:
        for path in ("daily", "games", "liabilities", "players/1/statement"):
            reply = await http.get(f"/api/staff/reports/{path}")
            assert (reply.status_code, reply.json()["error"]["code"]) == (401, "STAFF_ONLY")
        for query in (
            {"from": "2025-02-30"}, {"from": "2025-03-02", "to": "2025-03-01"},
            {"from": "2024-01-01", "to": "2025-01-01"}, {"format": "xml"}, {"currency": "eur"},
        ):  # fmt: skip
            reply = await http.get("/api/staff/reports/daily", params=query, headers=STAFF)
            assert (reply.status_code, reply.json()["error"]["code"]) == (
                422, "VALIDATION_FAILED",
            ), query  # fmt: skip


async def test_a_restarted_server_counts_nothing_twice_and_goes_on_reporting(
    world: Paying,
) -> None:
    async def totals() -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=world.server.base_url) as http:
            found = await report(http, "daily", **{"from": today(), "currency": "EUR"})
        return dict(found["totals"][0]) if found["totals"] else {}

    def deposits_in_ledger() -> int:
        ((total,),) = ledger(
            world.server, "SELECT COALESCE(SUM(amount), 0) FROM deposits WHERE currency = 'EUR'"
        )
        return int(total)

    client = await player(world.server.base_url, verified=True)
    assert (await pay(client, "deposits", 1_000))[0] == 201
    before = await eventually(totals, lambda t: t.get("deposits"), deposits_in_ledger())
    assert before["deposits"] == deposits_in_ledger()
    await client.http.aclose()
    world.restart_server()  # the group's offset stays in Redis; the new member resumes there
    client = await player(world.server.base_url, verified=True)
    assert (await pay(client, "deposits", 700))[0] == 201
    after = await eventually(totals, lambda t: t.get("deposits"), before["deposits"] + 700)
    assert (after["deposits"], after["deposit_count"]) == (
        before["deposits"] + 700, before["deposit_count"] + 1,
    )  # fmt: skip
    assert after["deposits"] == deposits_in_ledger()
    await client.http.aclose()
