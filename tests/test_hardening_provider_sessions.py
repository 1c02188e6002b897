"""Provider game sessions end when the player's access ends, the launch URL carries only a
single-use launch token, and our signed replies cannot be sent back as requests (issue 26,
findings 4 and 7), against the shared server over real HTTP."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import msgspec
import pytest

from clients.api import ApiFailure, CasinoClient
from clients.provider_sim import ProviderClient, Signer, new_uuid
from server.app import close_services, open_services
from server.config import Settings
from server.provider.signatures import PROVIDER_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER
from tests.conftest import STRONG_PASSWORD, ServerProcess, new_player
from tests.support import db as test_db
from tests.support.provider import (
    FRUITS,
    SANDBOX,
    Table,
    add_hmac_provider,
    db_execute,
    db_query,
    launch,
    sandbox_client,
    sandbox_secret,
    seat,
    table,
)

__all__ = ["table"]


@dataclass
class Launched:
    """A player who launched a sandbox game, and the sandbox provider (nothing exchanged)."""

    player: CasinoClient
    provider: ProviderClient
    params: dict[str, str]  # the launch URL's query: token (the launch token), user, ...

    @property
    def player_id(self) -> int:
        return int(self.params["user"])


@pytest.fixture
async def launched(casino: ServerProcess) -> AsyncIterator[Launched]:
    player, _ = await new_player(casino.base_url, deposit=10_000)
    provider = sandbox_client(casino)
    yield Launched(player, provider, await launch(player, SANDBOX, FRUITS))
    await provider.aclose()
    await player.http.aclose()


async def _bet(provider: ProviderClient, session: dict[str, str], amount: int) -> dict[str, Any]:
    return await provider.transaction(
        "bet",
        {"token": session["token"], "user": session["user"], "game_code": FRUITS,
         "round": new_uuid(), "transaction_uuid": new_uuid(), "currency": "EUR",
         "amount": amount},
    )  # fmt: skip


def _revocations(server: ServerProcess, player_id: int) -> list[tuple[Any, ...]]:
    return db_query(
        server,
        "SELECT revoked_at IS NOT NULL, revoked_reason FROM provider_sessions WHERE player_id = ?",
        (player_id,),
    )


# -- the launch token ----------------------------------------------------------------------


async def test_the_first_user_info_exchanges_the_launch_token_for_a_session_token(
    launched: Launched,
) -> None:
    info = await launched.provider.user_info(launched.params["token"], user=launched.params["user"])
    assert (info["status"], info["user"], info["balance"]) == (
        "RS_OK",
        launched.params["user"],
        10_000,
    )
    assert info["token"] != launched.params["token"] and len(info["token"]) >= 43
    session = {**launched.params, "token": info["token"]}
    bet = await _bet(launched.provider, session, 250)
    assert (bet["status"], bet["balance"]) == ("RS_OK", 9_750)


async def test_the_launch_reply_holds_a_launch_token_that_lives_two_minutes(
    casino: ServerProcess,
) -> None:
    player, _ = await new_player(casino.base_url)
    provider = sandbox_client(casino)
    try:
        async with player:
            reply = await player.call(
                "POST", "/api/games/launch", {"provider": SANDBOX, "game_code": FRUITS}
            )
        params = {k: v[0] for k, v in parse_qs(urlsplit(reply["url"]).query).items()}
        session = await provider.open_session(params)
    finally:
        await provider.aclose()
    assert params["token"] == reply["token"]
    assert session["token"] not in msgspec.json.encode(reply).decode()
    assert 110_000 < reply["expires_at"] - time.time() * 1000 <= 120_000


async def test_a_second_exchange_of_a_launch_token_is_an_invalid_token(
    launched: Launched,
) -> None:
    first = await launched.provider.user_info(launched.params["token"])
    again = await launched.provider.user_info(launched.params["token"])
    assert first["status"] == "RS_OK"
    assert again == {"status": "RS_ERROR_INVALID_TOKEN", "request_uuid": again["request_uuid"],
                     "user": None}  # fmt: skip
    session = {**launched.params, "token": first["token"]}
    assert (await launched.provider.balance(session["token"], session["user"]))["status"] == "RS_OK"


async def test_exchanges_of_one_launch_token_racing_each_other_open_one_session(
    casino: ServerProcess, launched: Launched
) -> None:
    replies = await asyncio.gather(
        *(launched.provider.user_info(launched.params["token"]) for _ in range(8))
    )
    assert sorted(reply["status"] for reply in replies) == ["RS_ERROR_INVALID_TOKEN"] * 7 + [
        "RS_OK"
    ]
    sessions = db_query(
        casino, "SELECT 1 FROM provider_sessions WHERE player_id = ?", (launched.player_id,)
    )
    assert len(sessions) == 1


async def test_a_launch_token_is_not_a_session_token_for_balance_or_bets(
    launched: Launched,
) -> None:
    token, user = launched.params["token"], launched.params["user"]
    assert (await launched.provider.balance(token, user))["status"] == "RS_ERROR_INVALID_TOKEN"
    assert (await _bet(launched.provider, launched.params, 100))["status"] == (
        "RS_ERROR_INVALID_TOKEN"
    )
    assert (await launched.player.call("GET", "/api/wallet"))["balance"] == 10_000
    assert (await launched.provider.user_info(token))["status"] == "RS_OK"  # still unspent


async def test_a_launch_token_presented_for_another_user_is_refused_and_not_spent(
    launched: Launched,
) -> None:
    other = str(launched.player_id + 1)
    refused = await launched.provider.user_info(launched.params["token"], user=other)
    accepted = await launched.provider.user_info(
        launched.params["token"], user=launched.params["user"]
    )
    assert (refused["status"], accepted["status"]) == ("RS_ERROR_INVALID_TOKEN", "RS_OK")


async def test_a_launch_token_not_exchanged_in_time_has_expired(
    casino: ServerProcess, launched: Launched
) -> None:
    db_execute(
        casino,
        "UPDATE provider_launches SET expires_at = ? WHERE player_id = ?",
        (int(time.time() * 1000) - 1, launched.player_id),
    )
    info = await launched.provider.user_info(launched.params["token"])
    assert info["status"] == "RS_ERROR_TOKEN_EXPIRED"
    assert (
        db_query(
            casino, "SELECT 1 FROM provider_sessions WHERE player_id = ?", (launched.player_id,)
        )
        == []
    )


async def test_another_provider_cannot_exchange_the_launch_token(
    casino: ServerProcess, launched: Launched
) -> None:
    name, secret = await add_hmac_provider(casino)
    other = ProviderClient(casino.base_url, name, Signer(secret=secret))
    try:
        refused = await other.user_info(launched.params["token"])
    finally:
        await other.aclose()
    assert refused["status"] == "RS_ERROR_INVALID_TOKEN"
    assert (await launched.provider.user_info(launched.params["token"]))["status"] == "RS_OK"


# -- revocation ----------------------------------------------------------------------------


async def test_logout_ends_the_players_provider_sessions_for_info_balance_and_bets(
    casino: ServerProcess, table: Table
) -> None:
    assert (await table.bet(100))["status"] == "RS_OK"
    await table.player.logout()
    assert (await table.provider.user_info(table.token))["status"] == "RS_ERROR_TOKEN_EXPIRED"
    assert (await table.provider.balance(table.token, table.user))["status"] == (
        "RS_ERROR_TOKEN_EXPIRED"
    )
    assert (await table.bet(100))["status"] == "RS_ERROR_TOKEN_EXPIRED"
    assert _revocations(casino, int(table.user)) == [(1, "logout")]


async def test_a_bet_taken_before_logout_still_settles(table: Table) -> None:
    bet = await table.bet(400)
    await table.player.logout()
    win = await table.win(bet["transaction_uuid"], 1_000, round_closed=True)
    assert (win["status"], win["balance"]) == ("RS_OK", 10_600)


async def test_logout_ends_a_launch_not_yet_exchanged(
    casino: ServerProcess, launched: Launched
) -> None:
    await launched.player.logout()
    info = await launched.provider.user_info(launched.params["token"])
    assert info["status"] == "RS_ERROR_TOKEN_EXPIRED"


async def test_a_password_change_ends_the_players_provider_sessions(
    casino: ServerProcess, table: Table
) -> None:
    changed = await table.player.call(
        "POST", "/api/me/password",
        {"current_password": STRONG_PASSWORD, "new_password": "Another-Horse-77"},
    )  # fmt: skip
    assert changed == {"revoked_sessions": 0}
    assert (await table.bet(100))["status"] == "RS_ERROR_TOKEN_EXPIRED"
    assert (await table.provider.user_info(table.token))["status"] == "RS_ERROR_TOKEN_EXPIRED"
    assert _revocations(casino, int(table.user)) == [(1, "password_changed")]


async def test_a_failed_password_change_ends_nothing(table: Table) -> None:
    with pytest.raises(ApiFailure) as refused:
        await table.player.call(
            "POST", "/api/me/password",
            {"current_password": "Wrong-Horse-11", "new_password": "Another-Horse-77"},
        )  # fmt: skip
    assert refused.value.code == "INVALID_CREDENTIALS"
    assert (await table.bet(100))["status"] == "RS_OK"


async def test_a_logout_ends_only_its_players_sessions(casino: ServerProcess) -> None:
    leaving, staying = await seat(casino), await seat(casino)
    try:
        await leaving.player.logout()
        assert (await staying.bet(100))["status"] == "RS_OK"
        assert (await leaving.bet(100))["status"] == "RS_ERROR_TOKEN_EXPIRED"
    finally:
        for seated in (leaving, staying):
            await seated.provider.aclose()
            await seated.player.http.aclose()


def _settings(server: ServerProcess) -> Settings:
    return Settings.from_env(
        {
            "CASINO_DATA_DIR": str(server.workdir),
            "CASINO_REDIS_URL": server.redis.url,
            "CASINO_DATABASE_URL": test_db.url_of(server.database_path),
        }
    )


async def test_restricting_an_account_ends_its_provider_sessions_and_refuses_launches(
    casino: ServerProcess, table: Table
) -> None:
    # The server's own wiring, as a later feature (self-exclusion, a fraud hold) would use it.
    services = await open_services(_settings(casino))
    try:
        await services.accounts.set_status(int(table.user), "restricted", "self_exclusion")
        assert (await table.provider.user_info(table.token))["status"] == ("RS_ERROR_TOKEN_EXPIRED")
        with pytest.raises(ApiFailure) as refused:
            await launch(table.player, SANDBOX, FRUITS)
        assert refused.value.code == "ACCOUNT_RESTRICTED"
        assert _revocations(casino, int(table.user)) == [(1, "self_exclusion")]
        await services.accounts.set_status(int(table.user), "active", "reopened")
        reopened = await table.provider.open_session(await launch(table.player, SANDBOX, FRUITS))
        assert (await _bet(table.provider, reopened, 100))["status"] == "RS_OK"
    finally:
        await close_services(services)


# -- signed replies ------------------------------------------------------------------------


async def _signed_user_info(server: ServerProcess, token: str) -> httpx.Response:
    raw = msgspec.json.encode({"request_uuid": new_uuid(), "token": token})
    stamp = str(int(time.time()))
    digest = hmac.new(sandbox_secret(server).encode(), stamp.encode() + b"." + raw, hashlib.sha256)
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        return await http.post(
            "/provider/user/info",
            content=raw,
            headers={PROVIDER_HEADER: SANDBOX, TIMESTAMP_HEADER: stamp,
                     SIGNATURE_HEADER: base64.b64encode(digest.digest()).decode()},
        )  # fmt: skip


async def test_a_signed_reply_sent_back_as_a_request_is_refused(
    casino: ServerProcess, table: Table
) -> None:
    reply = await _signed_user_info(casino, table.token)
    assert reply.json()["status"] == "RS_OK"  # holds request_uuid and token: a request's shape
    async with httpx.AsyncClient(base_url=casino.base_url) as http:
        replayed = await http.post(
            "/provider/user/info",
            content=reply.content,
            headers={PROVIDER_HEADER: SANDBOX,
                     TIMESTAMP_HEADER: reply.headers[TIMESTAMP_HEADER],
                     SIGNATURE_HEADER: reply.headers[SIGNATURE_HEADER]},
        )  # fmt: skip
    assert replayed.json()["status"] == "RS_ERROR_INVALID_SIGNATURE"


async def test_a_reply_is_signed_over_the_reply_domain_and_its_exact_bytes(
    casino: ServerProcess, table: Table
) -> None:
    reply = await _signed_user_info(casino, table.token)
    stamp, signature = reply.headers[TIMESTAMP_HEADER], reply.headers[SIGNATURE_HEADER]
    secret = sandbox_secret(casino).encode()

    def sign(message: bytes) -> str:
        return base64.b64encode(hmac.new(secret, message, hashlib.sha256).digest()).decode()

    assert signature == sign(b"casino-wallet-reply-v1." + stamp.encode() + b"." + reply.content)
    assert signature != sign(stamp.encode() + b"." + reply.content)  # a request's message
