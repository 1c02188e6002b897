"""The race scenario: 1,000 stakes at once on ONE wallet, from several WebSocket
connections (each with several spins in flight) and from the provider API (signed bets
and wins, many in flight), against a deposit that covers only part of them.

The promises: every stake is either accepted or refused for want of funds (or
SERVER_BUSY, which takes nothing); no reported balance is ever below zero; and
the final balance is exactly the deposit minus the accepted stakes plus the
wins, so no update was lost. The caller reconciles the ledger afterwards.
"""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import msgspec
from websockets.asyncio.client import connect

from clients.api import CasinoClient
from clients.provider_sim import ProviderClient, Signer, new_uuid
from server.tools.soak.fuzz import Finding
from server.tools.soak.stack import STAFF_TOKEN, funded_player

SPIN_GAME, SPIN_STAKE = "classic-sevens", 100
PROVIDER, PROVIDER_GAME, BET = "sandbox", "sandbox-fruits", 400
WIN = 600  # paid on every fourth accepted provider bet, closing its round
IN_FLIGHT_PER_SOCKET = 6  # below the server's CASINO_MAX_PENDING default of 8
PROVIDER_IN_FLIGHT = 32


@dataclass
class Race:
    deposit: int
    spins: int = 0
    bets: int = 0
    staked: int = 0  # accepted stakes, both paths
    paid: int = 0  # spin payouts and provider wins
    refused: int = 0
    busy: int = 0
    lowest: int | None = None
    final: int = 0
    findings: list[str] = field(default_factory=list)

    @property
    def expected(self) -> int:
        return self.deposit - self.staked + self.paid

    def saw(self, balance: int) -> None:
        self.lowest = balance if self.lowest is None else min(self.lowest, balance)

    def line(self) -> str:
        return (
            f"{self.spins} spins + {self.bets} provider bets: {self.staked} staked, {self.paid}"
            f" paid, {self.refused} refused for funds, {self.busy} busy; final {self.final}"
            f" (expected {self.expected}), lowest balance seen {self.lowest}"
        )


def _sandbox_secret(database_path: Path) -> str:
    with sqlite3.connect(database_path, timeout=10) as db:
        rows = db.execute("SELECT hmac_secret FROM providers WHERE id = ?", (PROVIDER,)).fetchall()
    return str(rows[0][0])


async def _spins(ws_url: str, token: str, count: int, race: Race) -> None:
    async with connect(ws_url, max_size=2**20) as ws:
        await ws.send(msgspec.msgpack.encode({"type": "hello", "id": 0, "token": token}))
        welcome = msgspec.msgpack.decode(await ws.recv(decode=False))
        if welcome.get("type") != "welcome":
            race.findings.append(f"hello refused: {welcome}")
            return
        sent = 0
        while sent < count:
            window = range(sent + 1, min(count, sent + IN_FLIGHT_PER_SOCKET) + 1)
            for request_id in window:
                frame = {"type": "spin", "id": request_id, "game": SPIN_GAME, "stake": SPIN_STAKE}
                await ws.send(msgspec.msgpack.encode(frame))
            waiting = set(window)
            while waiting:
                reply = msgspec.msgpack.decode(await ws.recv(decode=False))
                if "id" not in reply:
                    continue  # a balance push
                waiting.discard(reply["id"])
                _count_spin(reply, race)
            sent += len(window)


def _count_spin(reply: dict[str, Any], race: Race) -> None:
    race.spins += 1
    if reply["type"] == "spin":
        race.staked += reply["stake"]
        race.paid += reply["payout"]
        race.saw(reply["balance"])
    elif reply.get("code") == "INSUFFICIENT_FUNDS":
        race.refused += 1
        race.saw(reply["balance"])
    elif reply.get("code") == "SERVER_BUSY":
        race.busy += 1
    else:
        race.findings.append(f"spin: unexpected reply {reply}")


async def _provider_bet(
    provider: ProviderClient, session: dict[str, str], index: int, race: Race
) -> None:
    body = {
        "token": session["token"], "user": session["user"], "game_code": PROVIDER_GAME,
        "round": new_uuid(), "transaction_uuid": new_uuid(), "currency": "EUR", "amount": BET,
    }  # fmt: skip
    bet = await provider.transaction("bet", body)
    race.bets += 1
    if bet["status"] == "RS_ERROR_NOT_ENOUGH_MONEY":
        race.refused += 1
        race.saw(bet["balance"])
        return
    if bet["status"] != "RS_OK":
        race.findings.append(f"provider bet: unexpected reply {bet}")
        return
    race.staked += BET
    race.saw(bet["balance"])
    if index % 4 == 0:
        win_body = {**body, "transaction_uuid": new_uuid(), "amount": WIN, "round_closed": True}
        win = await provider.transaction(
            "win", {**win_body, "reference_transaction_uuid": body["transaction_uuid"]}
        )
        if win["status"] != "RS_OK":
            race.findings.append(f"provider win: unexpected reply {win}")
            return
        race.paid += WIN
        race.saw(win["balance"])


async def _provider_bets(
    base_url: str, database_path: Path, player: CasinoClient, count: int, race: Race
) -> None:
    launched = await player.call(
        "POST", "/api/games/launch", {"provider": PROVIDER, "game_code": PROVIDER_GAME}
    )
    session = {k: v[0] for k, v in parse_qs(urlsplit(launched["url"]).query).items()}
    provider = ProviderClient(base_url, PROVIDER, Signer(secret=_sandbox_secret(database_path)))
    session = await provider.open_session(session)  # the launch token for the session token
    gate = asyncio.Semaphore(PROVIDER_IN_FLIGHT)

    async def one(index: int) -> None:
        async with gate:
            await _provider_bet(provider, session, index, race)

    try:
        await asyncio.gather(*(one(index) for index in range(count)))
    finally:
        await provider.aclose()


async def run(
    base_url: str,
    database_path: Path,
    deposit: int = 30_000,
    sockets: int = 6,
    spins_per_socket: int = 100,
    provider_bets: int = 400,
    staff_token: str = STAFF_TOKEN,
) -> Race:
    """Race the stakes; raise `Finding` when a promise broke. `staff_token` is the server's
    CASINO_STAFF_TOKEN (the soak's own by default), used to verify the player's KYC."""
    race = Race(deposit)
    player = await funded_player(base_url, deposit, staff_token)
    try:
        assert player.token is not None
        ws_url = "ws" + base_url.removeprefix("http") + "/ws"
        await asyncio.gather(
            *(_spins(ws_url, player.token, spins_per_socket, race) for _ in range(sockets)),
            _provider_bets(base_url, database_path, player, provider_bets, race),
        )
        race.final = int((await player.call("GET", "/api/wallet"))["balance"])
    finally:
        await player.http.aclose()
    if race.final != race.expected:
        race.findings.append(f"final balance {race.final}, the replies account for {race.expected}")
    if race.lowest is not None and race.lowest < 0:
        race.findings.append(f"a balance of {race.lowest} was reported")
    if race.refused == 0 or race.staked == 0:
        race.findings.append("the deposit should cover some stakes, not all: adjust the race")
    if race.findings:
        raise Finding("; ".join(race.findings[:5]) + f" ({race.line()})")
    return race
