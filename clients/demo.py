"""The demo: a new player registers, deposits in the sandbox and plays slot spins.

It talks to the server only over the wire (HTTP and one WebSocket), exactly as a
real game client would, and prints what a tester wants to see.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import rng
from clients.api import CasinoClient

DEPOSIT = 10_000  # 100.00 in a two-decimal currency


@dataclass(slots=True)
class DemoResult:
    player_id: int
    deposit: int
    spins: list[dict[str, Any]] = field(default_factory=list)
    final_balance: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    refused: str | None = None  # why the server refused a spin ("CODE: message"), if it did


def money(minor: int) -> str:
    return f"{minor / 100:,.2f}"


def grid_text(outcome: dict[str, Any]) -> str:
    columns = outcome.get("grid") or []
    rows = zip(*columns, strict=True) if columns else []
    return " / ".join(" ".join(f"{symbol:>6}" for symbol in row) for row in rows)


async def run_demo(
    base_url: str,
    spins: int = 20,
    game: str = "classic-sevens",
    stake: int = 100,
    say: Callable[[str], None] = print,
) -> DemoResult:
    suffix = rng.randbytes(5).hex()
    password = f"Demo-{rng.token_urlsafe(12)}!"
    async with CasinoClient(base_url) as client:
        player = await client.register(
            email=f"demo-{suffix}@example.com",
            username=f"demo_{suffix}",
            password=password,
            date_of_birth="1990-04-01",
            country="MT",
            currency="EUR",
        )
        say(f"registered player {player['player_id']} ({player['username']}, {player['currency']})")
        await client.login(player["username"], password)
        deposit = await client.deposit(DEPOSIT, idempotency_key=f"demo-{suffix}")
        say(f"sandbox deposit {money(deposit['amount'])} -> balance {money(deposit['balance'])}")
        result = DemoResult(player_id=player["player_id"], deposit=deposit["amount"])
        async with client.socket() as sock:
            assert client.token is not None
            welcome = await sock.hello(client.token)
            say(f"connected over WebSocket, balance {money(welcome['balance'])}")
            for number in range(1, spins + 1):
                reply = await sock.spin(game, stake)
                if reply["type"] == "error":
                    result.refused = f"{reply['code']}: {reply['message']}"
                    say(f"spin {number:2}: refused {result.refused}")
                    break
                result.spins.append(reply)
                say(
                    f"spin {number:2}: {grid_text(reply['outcome'])}  stake {money(reply['stake'])}"
                    f"  win {money(reply['payout']):>6}  balance {money(reply['balance'])}"
                )
            result.final_balance = (await sock.balance())["balance"]
            result.history = (await sock.history(limit=100))["rounds"]
        say(f"final balance {money(result.final_balance)}")
        say(f"history read back from the server: {len(result.history)} rounds")
        for row in result.history:
            say(
                f"  {row['round_id']}  {row['game']}  {row['status']}  stake {money(row['stake'])}"
                f"  win {money(row['payout'])}  balance {money(row['balance_before'])}"
                f" -> {money(row['balance_after'])}"
            )
        return result
