"""`run.py risk-population`: the fraud rules on a simulated population, false positives
beside true positives per rule.

It starts its own redis-server and server (as `run.py bench` does), then plays two kinds of
player against it at once:
- ordinary players: the load driver's players (registered, verified, funded once), betting
  at a person's pace (`--think` seconds between bets, give or take half) on slots,
  roulette (red) and baccarat (banker);
- scripted abusers, a few of each scenario, each meant to trip one rule: a bot betting as
  fast as replies come (`rapid_betting`), red and black in one round (`hedged_bets`), a
  no-deposit bonus played on the three dozens (`bonus_low_risk`), five deposits in a row
  (`deposit_outlier`), a login from a device never seen (`new_device`), two accounts on
  one device (`shared_device`), wrong passwords on five accounts from one address
  (`password_spraying`).
Once the monitor has judged every event (the group `risk` has nothing unread), it lists the
alerts through the staff API and prints per rule: true positives (an abuser's alert of a
rule its scenario meant), false positives (an ordinary player's alert), other hits on
abusers (a rule their scenario tripped on the way, such as `new_device` for the accounts
sharing a device), and abusers their rule missed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

import rng
from clients import loadgen, verification
from clients.api import CasinoClient
from server.tools import risk_figures
from server.tools.bench import BENCH_STAFF_TOKEN, Stack

console = Console()
STAFF = {"Authorization": f"Bearer {BENCH_STAFF_TOKEN}"}
DEPOSIT = 100_000  # EUR 1,000 each
SPRAYED = 5  # accounts a sprayer tries


@dataclass
class Abusers:
    """The players the scenarios played, each with the rule its scenario meant to trip."""

    meant: dict[int, str] = field(default_factory=dict)

    def add(self, player_id: int, rule: str) -> None:
        self.meant[player_id] = rule


async def _player(
    base_url: str, deposit: int = DEPOSIT, verify: bool = True
) -> tuple[CasinoClient, int, str, str]:
    """A registered, logged-in player, verified to KYC 2 and funded with `deposit` (unless
    told not to): the client, the player's id, name and password."""
    name = f"pop_{rng.randbytes(5).hex()}"
    password = f"Pop-{rng.token_urlsafe(9)}!"
    client = CasinoClient(base_url, timeout_s=60)
    registered = await client.register(
        email=f"{name}@example.com", username=name, password=password,
        date_of_birth="1980-01-01", country="MT", currency="EUR",
    )  # fmt: skip
    await client.login(name, password)
    if verify:
        await verification.verify(client, BENCH_STAFF_TOKEN, 2)
    if deposit:
        await client.deposit(deposit, idempotency_key=f"pop-{name}-0")
    return client, int(registered["player_id"]), name, password


async def _play(client: CasinoClient, requests: list[dict[str, Any]]) -> None:
    assert client.token is not None
    async with client.socket() as sock:
        await sock.hello(client.token)
        for message in requests:
            fields = dict(message)
            await sock.request(fields.pop("type"), **fields)


def _roulette(bets: list[dict[str, Any]]) -> dict[str, Any]:
    stake = sum(int(bet["amount"]) for bet in bets)
    return {"type": "play", "game": "european-roulette", "stake": stake, "options": {"bets": bets}}


async def rapid_bettor(base_url: str, abusers: Abusers) -> None:
    client, pid, _, _ = await _player(base_url)
    async with client:
        await _play(client, [{"type": "spin", "game": "classic-sevens", "stake": 100}] * 60)
    abusers.add(pid, "rapid_betting")


async def hedger(base_url: str, abusers: Abusers) -> None:
    client, pid, _, _ = await _player(base_url)
    red_black = [{"type": "red", "amount": 500}, {"type": "black", "amount": 500}]
    async with client:
        await _play(client, [_roulette(red_black) for _ in range(3)])
    abusers.add(pid, "hedged_bets")


async def bonus_coverer(base_url: str, abusers: Abusers, definition: int) -> None:
    client, pid, _, _ = await _player(base_url, deposit=0)  # no cash: bonus money is staked
    dozens = [{"type": "dozen", "index": i, "amount": 300} for i in (1, 2, 3)]
    async with client:
        await client.call("POST", "/api/bonus/claim", {"definition_id": definition})
        await _play(client, [_roulette(dozens) for _ in range(3)])
    abusers.add(pid, "bonus_low_risk")


async def depositor(base_url: str, abusers: Abusers) -> None:
    client, pid, name, _ = await _player(base_url)
    async with client:
        for n in range(1, 6):
            await client.deposit(2_000, idempotency_key=f"pop-{name}-{n}")
    abusers.add(pid, "deposit_outlier")


async def device_hopper(base_url: str, abusers: Abusers) -> None:
    client, pid, name, password = await _player(base_url)
    async with client:
        await _log_in(base_url, name, password, "hopper-phone")
    abusers.add(pid, "new_device")


async def device_sharers(base_url: str, abusers: Abusers) -> None:
    device = f"shared-{rng.randbytes(4).hex()}"
    for _ in range(2):
        client, pid, name, password = await _player(base_url)
        async with client:
            await _log_in(base_url, name, password, device)
        abusers.add(pid, "shared_device")


async def sprayer(base_url: str, abusers: Abusers) -> None:
    """Wrong passwords on `SPRAYED` accounts from one address (the players are the victims:
    the alert names the accounts tried)."""
    for _ in range(SPRAYED):
        client, pid, name, _ = await _player(base_url, deposit=0, verify=False)
        async with client:
            await _log_in(base_url, name, "not-the-password", "sprayer")
        abusers.add(pid, "password_spraying")


async def _log_in(base_url: str, name: str, password: str, device: str) -> None:
    """A login with a device id; a wrong password's refusal is the point, not a failure."""
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
        await http.post(
            "/api/sessions", json={"login": name, "password": password, "device_id": device}
        )


async def _define_bonus(base_url: str) -> int:
    async with httpx.AsyncClient(base_url=base_url, timeout=60, headers=STAFF) as http:
        defined = await http.post(
            "/api/staff/bonus/definitions",
            json={"name": "population bonus", "kind": "no_deposit", "trigger": "manual",
                  "amount": 10_000, "wagering": 30, "max_stake": 100_000,
                  "weights": {"slot": 100, "table": 10}},
        )  # fmt: skip
        defined.raise_for_status()
        return int(defined.json()["id"])


async def _alerts(base_url: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=base_url, timeout=60, headers=STAFF) as http:
        reply = await http.get("/api/staff/risk/alerts", params={"status": "any", "limit": 500})
        reply.raise_for_status()
        return list(reply.json()["alerts"])


def tally(alerts: list[dict[str, Any]], abusers: Abusers) -> dict[str, dict[str, int]]:
    """Per rule: the abusers its scenario played, those an alert caught (the alert's player,
    or an account its evidence names: a linking rule's alert lands on the account that
    completed the link), false positives (alerts on ordinary players), other alerts on
    abusers, and the abusers missed."""
    rows: dict[str, Counter[str]] = {}
    caught: set[tuple[int, str]] = set()
    for alert in alerts:
        rule, pid = str(alert["rule"]), int(alert["player_id"])
        row = rows.setdefault(rule, Counter())
        meant = abusers.meant.get(pid)
        if meant is None:
            row["false_positives"] += 1
        elif meant != rule:
            row["other_abuser_hits"] += 1
        named = {pid, *(int(a) for a in alert["evidence"].get("accounts", []))}
        caught.update((a, rule) for a in named if abusers.meant.get(a) == rule)
    for pid, rule in abusers.meant.items():
        row = rows.setdefault(rule, Counter())
        row["abusers"] += 1
        row["true_positives" if (pid, rule) in caught else "missed"] += 1
    keys = ("abusers", "true_positives", "false_positives", "other_abuser_hits", "missed")
    return {rule: {key: row[key] for key in keys} for rule, row in sorted(rows.items())}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    stack_args = argparse.Namespace(url=None, redis_url=None, appendfsync="everysec")
    with (
        tempfile.TemporaryDirectory(prefix="casino-population-") as scratch,
        Stack(stack_args, Path(scratch), workers=1) as stack,
    ):
        console.print(f"[bold]server[/] {stack.url}")
        tokens = await loadgen.prepare_players(
            stack.url, args.players, deposit=DEPOSIT, staff_token=BENCH_STAFF_TOKEN
        )
        definition = await _define_bonus(stack.url)
        abusers = Abusers()
        scripted: list[Callable[[], Awaitable[None]]] = []
        for _ in range(args.abusers):
            scripted += [
                lambda: rapid_bettor(stack.url, abusers),
                lambda: hedger(stack.url, abusers),
                lambda: bonus_coverer(stack.url, abusers, definition),
                lambda: depositor(stack.url, abusers),
                lambda: device_hopper(stack.url, abusers),
                lambda: device_sharers(stack.url, abusers),
                lambda: sprayer(stack.url, abusers),
            ]
        ordinary = asyncio.create_task(
            loadgen.run_load(stack.ws_url, tokens, args.seconds, 0.0, mix=True, think_s=args.think)
        )
        await asyncio.gather(*(play() for play in scripted))
        result = await ordinary
        await risk_figures.wait_caught_up(stack.redis_url)
        rows = tally(await _alerts(stack.url), abusers)
    return {
        "players": args.players, "abusers_per_scenario": args.abusers, "seconds": args.seconds,
        "ordinary_bets": result.requests, "rules": rows,
    }  # fmt: skip


def _print(figures: dict[str, Any]) -> None:
    table = Table(
        title=f"{figures['players']} ordinary players ({figures['ordinary_bets']} bets),"
        f" {figures['abusers_per_scenario']} abuser(s) per scenario"
    )
    for column in ("rule", "abusers", "true +", "false +", "other abuser hits", "missed"):
        table.add_column(column, justify="left" if column == "rule" else "right")
    for rule, row in figures["rules"].items():
        table.add_row(rule, *(str(value) for value in row.values()))
    console.print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="run.py risk-population", description=__doc__)
    parser.add_argument("--players", type=int, default=20, help="ordinary players")
    parser.add_argument("--abusers", type=int, default=1, help="abusers per scenario")
    parser.add_argument("--seconds", type=float, default=30, help="how long the players play")
    parser.add_argument("--think", type=float, default=2.0, help="seconds between bets")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    figures = asyncio.run(run(args))
    _print(figures)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2))
    return 0
