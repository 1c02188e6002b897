"""Conformance of the provider API's envelope and sessions over HTTP: signatures and the
replay window (refused before anything else), malformed bodies, tokens, the catalogue,
launch, the OpenAPI document, and a fault of ours."""

from __future__ import annotations

import asyncio
import time

import httpx
import msgspec
import pytest
import redis

from clients.api import ApiFailure
from clients.provider_sim import ProviderClient, Signer, new_uuid
from server.money import keys
from server.provider.status import Status
from tests.conftest import ServerProcess, new_player
from tests.support.provider import (
    FRUITS,
    SANDBOX,
    Table,
    add_hmac_provider,
    db_query,
    expire_session,
    launch,
    sandbox_client,
    table,
)

__all__ = ["table"]


async def _refused_before_anything(table: Table, **overrides: str) -> dict[str, object]:
    """Send a valid bet with a broken envelope; prove nothing was recorded or moved by then
    sending the same bet properly and seeing it accepted as new."""
    body = table.body(currency="EUR", amount=500)
    raw = msgspec.json.encode({"request_uuid": new_uuid(), **body})
    reply = await table.provider.post("/provider/transaction/bet", raw, **overrides)
    assert await table.balance() == 10_000
    accepted = await table.send("bet", body)
    assert (accepted["status"], accepted["balance"]) == ("RS_OK", 9_500)
    return reply


async def test_a_bad_signature_is_refused_before_anything_else(table: Table) -> None:
    reply = await _refused_before_anything(table, signature="bm90IGEgc2lnbmF0dXJl")
    assert (reply["status"], reply["request_uuid"]) == ("RS_ERROR_INVALID_SIGNATURE", None)


async def test_a_signature_over_another_body_is_refused(table: Table) -> None:
    stamp = str(int(time.time()))
    forged = table.provider.signer.sign(stamp, b'{"amount": 1}')
    reply = await _refused_before_anything(table, timestamp=stamp, signature=forged)
    assert reply["status"] == "RS_ERROR_INVALID_SIGNATURE"


@pytest.mark.parametrize("age_s", [310, -310, 86_400])  # the window is 300 s either way
async def test_a_timestamp_outside_the_replay_window_is_refused(table: Table, age_s: int) -> None:
    stamp = str(int(time.time()) - age_s)
    body = table.body(currency="EUR", amount=500)
    raw = msgspec.json.encode({"request_uuid": new_uuid(), **body})
    signed = table.provider.signer.sign(stamp, raw)  # a correct signature of a stale request
    reply = await table.provider.post(
        "/provider/transaction/bet", raw, timestamp=stamp, signature=signed
    )
    assert reply["status"] == "RS_ERROR_INVALID_SIGNATURE"
    assert await table.balance() == 10_000


async def test_a_malformed_timestamp_is_refused(table: Table) -> None:
    reply = await _refused_before_anything(table, timestamp="soon")
    assert reply["status"] == "RS_ERROR_INVALID_SIGNATURE"


async def test_an_unknown_provider_gets_an_unsigned_refusal(casino: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=casino.base_url) as http:
        response = await http.post(
            "/provider/user/info",
            content=b'{"request_uuid": "r", "token": "0123456789"}',
            headers={"X-Provider-Id": "nobody", "X-Timestamp": str(int(time.time())),
                     "X-Signature": "AAAA"},
        )  # fmt: skip
    assert response.status_code == 200
    assert response.json()["status"] == "RS_ERROR_INVALID_SIGNATURE"
    assert "X-Signature" not in response.headers


async def test_a_request_without_signature_headers_is_refused(casino: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=casino.base_url) as http:
        response = await http.post("/provider/user/balance", content=b"{}")
    assert response.json()["status"] == "RS_ERROR_INVALID_SIGNATURE"


async def test_a_reply_is_signed_over_its_exact_bytes(table: Table) -> None:
    raw = msgspec.json.encode({"request_uuid": "echo-me", "token": table.token})
    stamp = str(int(time.time()))
    async with httpx.AsyncClient(base_url=table.provider.http.base_url) as http:
        response = await http.post(
            "/provider/user/info",
            content=raw,
            headers={"X-Provider-Id": SANDBOX, "X-Timestamp": stamp,
                     "X-Signature": table.provider.signer.sign(stamp, raw)},
        )  # fmt: skip
    signer = table.provider.signer
    reply_stamp, reply_signature = response.headers["X-Timestamp"], response.headers["X-Signature"]
    assert signer.reply_is_authentic(reply_stamp, response.content, reply_signature)
    assert not signer.reply_is_authentic(reply_stamp, response.content + b" ", reply_signature)
    assert response.json()["request_uuid"] == "echo-me"


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"not json", "RS_ERROR_WRONG_SYNTAX"),
        (b"[1, 2]", "RS_ERROR_WRONG_SYNTAX"),
        (b'{"request_uuid": "r1", "token": "0123456789"}', "RS_ERROR_WRONG_SYNTAX"),
        (b'{"request_uuid": "r1", "token": 5, "user": "1"}', "RS_ERROR_WRONG_TYPES"),
        (b"x" * 20_000, "RS_ERROR_WRONG_SYNTAX"),
    ],
    ids=["not-json", "not-object", "missing-field", "wrong-type", "too-large"],
)
async def test_a_malformed_body_is_refused(casino: ServerProcess, raw: bytes, status: str) -> None:
    provider = sandbox_client(casino)
    try:
        reply = await provider.post("/provider/user/balance", raw)
    finally:
        await provider.aclose()
    assert reply["status"] == status
    if status == "RS_ERROR_WRONG_TYPES":
        assert reply["request_uuid"] == "r1"


async def test_a_bet_with_a_wrong_amount_type_is_refused(table: Table) -> None:
    for amount in ["100", 1.5, -1, True, 10**13]:
        reply = await table.bet(amount)  # type: ignore[arg-type]
        assert reply["status"] == "RS_ERROR_WRONG_TYPES", amount
    assert await table.balance() == 10_000


NUL = "a\x00b"  # PostgreSQL cannot store it in text; refused on both databases alike


@pytest.mark.parametrize(
    "nul",
    [{"round": NUL}, {"transaction_uuid": NUL}, {"supplier_transaction_id": NUL},
     {"meta": {"note": NUL}}, {"ignored": NUL}],
    ids=["round", "transaction-uuid", "supplier-extra", "meta", "ignored-field"],
)  # fmt: skip
async def test_a_bet_with_a_nul_in_any_text_is_refused_and_records_nothing(
    table: Table, nul: dict[str, object]
) -> None:
    body = table.body(currency="EUR", amount=500)
    request_uuid = new_uuid()
    reply = await table.send("bet", {**body, **nul, "request_uuid": request_uuid})
    assert (reply["status"], reply["request_uuid"]) == ("RS_ERROR_WRONG_TYPES", request_uuid)
    assert await table.balance() == 10_000
    accepted = await table.send("bet", body)  # the same transaction, clean: new, not a replay
    assert (accepted["status"], accepted["balance"]) == ("RS_OK", 9_500)


@pytest.mark.parametrize("kind", ["win", "rollback"])
async def test_a_win_or_rollback_with_a_nul_is_refused_and_leaves_the_bet_open(
    table: Table, kind: str
) -> None:
    bet = table.body(currency="EUR", amount=500)
    assert (await table.send("bet", bet))["status"] == "RS_OK"
    reference = bet["transaction_uuid"]
    refused = await (
        table.win(reference, 800, supplier_user=NUL)
        if kind == "win"
        else table.rollback(reference, supplier_user=NUL)
    )
    assert refused["status"] == "RS_ERROR_WRONG_TYPES"
    assert await table.balance() == 9_500
    won = await table.win(bet["transaction_uuid"], 800)
    assert (won["status"], won["balance"]) == ("RS_OK", 10_300)


@pytest.mark.parametrize("path", ["/provider/user/info", "/provider/user/balance"])
async def test_an_info_or_balance_call_with_a_nul_is_refused(table: Table, path: str) -> None:
    body = {"request_uuid": "nul-1", "token": table.token, "user": table.user,
            "game_code": table.session["game_code"], "meta": {"note": NUL}}  # fmt: skip
    reply = await table.provider.post(path, body)
    assert (reply["status"], reply["request_uuid"]) == ("RS_ERROR_WRONG_TYPES", "nul-1")


async def test_an_unknown_token_or_another_users_token_is_invalid(table: Table) -> None:
    unknown = await table.provider.user_info("not-a-real-token-at-all")
    assert unknown["status"] == "RS_ERROR_INVALID_TOKEN"
    other_user = str(int(table.user) + 1)
    assert (await table.provider.balance(table.token, other_user))["status"] == (
        "RS_ERROR_INVALID_TOKEN"
    )
    assert (await table.bet(100, user=other_user))["status"] == "RS_ERROR_INVALID_TOKEN"
    assert (await table.bet(100, token="not-a-real-token-at-all"))["status"] == (
        "RS_ERROR_INVALID_TOKEN"
    )
    assert await table.balance() == 10_000


async def test_a_token_is_bound_to_its_provider(casino: ServerProcess, table: Table) -> None:
    name, secret = await add_hmac_provider(casino)
    other = ProviderClient(casino.base_url, name, Signer(secret=secret))
    try:
        assert (await other.user_info(table.token))["status"] == "RS_ERROR_INVALID_TOKEN"
    finally:
        await other.aclose()


async def test_an_expired_token_refuses_info_balance_and_bets_but_not_wins_or_rollbacks(
    casino: ServerProcess, table: Table
) -> None:
    bet_body = table.body(currency="EUR", amount=300)
    await table.send("bet", bet_body)
    second = await table.bet(200)
    expire_session(casino, table.user)
    assert (await table.provider.user_info(table.token))["status"] == "RS_ERROR_TOKEN_EXPIRED"
    assert (await table.provider.balance(table.token, table.user))["status"] == (
        "RS_ERROR_TOKEN_EXPIRED"
    )
    assert (await table.bet(100))["status"] == "RS_ERROR_TOKEN_EXPIRED"
    # A retry of a bet accepted before the session ended gets its original result.
    retry = await table.send("bet", bet_body)
    assert (retry["status"], retry["balance"]) == ("RS_OK", 9_700)
    win = await table.win(bet_body["transaction_uuid"], 1_000)
    assert (win["status"], win["balance"]) == ("RS_OK", 10_500)
    rolled = await table.rollback(second["transaction_uuid"])
    assert (rolled["status"], rolled["balance"]) == ("RS_OK", 10_700)


async def test_a_disabled_provider_is_refused_after_its_signature(casino: ServerProcess) -> None:
    name, secret = await add_hmac_provider(casino, status="disabled")
    provider = ProviderClient(casino.base_url, name, Signer(secret=secret))
    try:
        reply = await provider.user_info("0123456789abc")
    finally:
        await provider.aclose()
    assert reply["status"] == "RS_ERROR_INVALID_PARTNER"


async def test_a_fault_of_ours_is_unknown_and_moves_nothing(
    casino: ServerProcess, table: Table
) -> None:
    # A round record of the wrong type makes the bet script fail before it writes anything.
    key = keys.provider_round(int(table.user), SANDBOX, table.round)
    with redis.Redis.from_url(casino.redis.url) as client:
        client.set(key, "not a hash")
        try:
            reply = await table.bet(100)
        finally:
            client.delete(key)
    assert reply["status"] == "RS_ERROR_UNKNOWN"
    assert await table.balance() == 10_000
    assert (await table.bet(100))["status"] == "RS_OK"


async def test_the_catalogue_lists_our_games_and_providers_games(casino: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=casino.base_url) as http:
        games = (await http.get("/games")).json()["games"]
    by_id = {game["id"]: game for game in games}
    house = by_id["classic-sevens"]
    assert (house["provider"], house["categories"]) == ("house", ["slots"])
    fruits = by_id["sandbox:sandbox-fruits"]
    assert (fruits["provider"], fruits["game_code"], fruits["rtp"]) == (
        SANDBOX,
        FRUITS,
        "96.100",
    )
    assert (fruits["min_stake"], fruits["max_stake"]) == (10, 10_000)
    assert "slots" in fruits["categories"]
    for game in games:
        assert {"id", "provider", "rtp", "min_stake", "max_stake", "categories"} <= set(game)


async def test_launch_creates_a_hashed_launch_token_bound_to_player_game_and_currency(
    casino: ServerProcess,
) -> None:
    player, registered = await new_player(casino.base_url, deposit=500)
    async with player:
        launched = await player.call(
            "POST", "/api/games/launch", {"provider": SANDBOX, "game_code": FRUITS}
        )
        assert launched["url"].startswith("https://sandbox-provider.invalid/launch?token=")
        assert launched["expires_at"] > time.time() * 1000
        token = launched["token"]
        assert token in launched["url"] and len(token) >= 43
        assert not db_query(
            casino, "SELECT 1 FROM provider_launches WHERE token_hash = ?", (token,)
        )
        rows = db_query(
            casino,
            "SELECT player_id, game_code, currency, exchanged_at FROM provider_launches"
            " WHERE player_id = ?",
            (registered["player_id"],),
        )
        assert rows == [(registered["player_id"], FRUITS, "EUR", None)]
        assert not db_query(
            casino,
            "SELECT 1 FROM provider_sessions WHERE player_id = ?",
            (registered["player_id"],),
        )
        house = await player.call("POST", "/api/games/launch", {"game_code": "classic-sevens"})
        assert (house["provider"], house["url"], house["token"]) == ("house", "/ws", None)
        for body in ({"provider": SANDBOX, "game_code": "nope"}, {"game_code": "nope"},
                     {"provider": "nobody", "game_code": FRUITS}):  # fmt: skip
            with pytest.raises(ApiFailure) as caught:
                await player.call("POST", "/api/games/launch", body)
            assert caught.value.code == "UNKNOWN_GAME"
        player.token = None
        with pytest.raises(ApiFailure) as caught:
            await player.call("POST", "/api/games/launch", {"game_code": FRUITS})
        assert caught.value.status == 401


async def test_two_launches_give_two_sessions(casino: ServerProcess) -> None:
    player, _ = await new_player(casino.base_url)
    provider = sandbox_client(casino)
    async with player:
        first = await launch(player, SANDBOX, FRUITS)
        second = await launch(player, SANDBOX, FRUITS)
    try:
        opened = [await provider.open_session(first), await provider.open_session(second)]
    finally:
        await provider.aclose()
    assert first["token"] != second["token"]
    assert opened[0]["token"] != opened[1]["token"]


async def test_the_openapi_document_describes_the_api(casino: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=casino.base_url) as http:
        document = (await http.get("/provider/openapi.json")).json()
        public_key = (await http.get("/provider/public-key")).text
    assert document["openapi"].startswith("3.1")
    for path in ("/provider/user/info", "/provider/user/balance", "/provider/transaction/bet",
                 "/provider/transaction/win", "/provider/transaction/rollback", "/games",
                 "/api/games/launch"):  # fmt: skip
        assert path in document["paths"], path
    schemas = document["components"]["schemas"]
    assert {"BetRequest", "WinRequest", "RollbackRequest", "WalletReply"} <= set(schemas)
    assert set(schemas["WalletReply"]["properties"]["status"]["$ref"].split("/")[-1:]) == {"Status"}
    assert set(schemas["Status"]["enum"]) == {str(s) for s in Status}
    assert set(document["x-status-codes"]) == {str(s) for s in Status}
    assert public_key.startswith("-----BEGIN PUBLIC KEY-----")


async def test_the_players_provider_rounds_are_listed(table: Table) -> None:
    bet = await table.bet(300)
    await table.win(bet["transaction_uuid"], 100, round_closed=True)
    for _ in range(100):
        rounds = (await table.player.call("GET", "/api/provider/rounds"))["rounds"]
        if rounds and rounds[0]["status"] == "closed":
            break
        await asyncio.sleep(0.02)
    assert rounds[0]["round"] == table.round
    assert (rounds[0]["bet_total"], rounds[0]["win_total"], rounds[0]["provider"]) == (
        300,
        100,
        SANDBOX,
    )
