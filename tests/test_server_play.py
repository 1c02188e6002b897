"""Playing over the real WebSocket: the demo flow, every bad frame, tokens and funds."""

from __future__ import annotations

import asyncio
import hashlib

import msgspec
import pytest

from clients.api import CasinoClient, GameSocket
from clients.demo import DEPOSIT, run_demo
from games.classic_slot import INFO as CLASSIC
from tests.conftest import ServerProcess, new_player
from tests.support import db as test_db

GAME = CLASSIC.id


async def player_socket(
    casino: ServerProcess, deposit: int, binary: bool = True
) -> tuple[CasinoClient, GameSocket]:
    client, _ = await new_player(casino.base_url, deposit=deposit)
    sock = client.socket(binary=binary)
    await sock.__aenter__()
    assert client.token is not None
    welcome = await sock.hello(client.token)
    assert welcome["type"] == "welcome"
    return client, sock


async def close(client: CasinoClient, sock: GameSocket) -> None:
    await sock.__aexit__(None, None, None)
    await client.__aexit__(None, None, None)


async def test_the_demo_flow_registers_deposits_spins_and_reads_history(
    casino: ServerProcess,
) -> None:
    lines: list[str] = []
    result = await run_demo(casino.base_url, spins=20, say=lines.append)
    assert len(result.spins) == 20
    assert result.final_balance == DEPOSIT + sum(s["payout"] - s["stake"] for s in result.spins)
    assert [r["round_id"] for r in result.history] == [
        s["round_id"] for s in reversed(result.spins)
    ]
    assert result.history[0]["balance_after"] == result.final_balance
    assert sum(line.startswith("spin ") for line in lines) == 20
    assert lines[-21] == "history read back from the server: 20 rounds"


async def test_a_spin_reply_echoes_the_id_and_reports_the_round(casino: ServerProcess) -> None:
    client, sock = await player_socket(casino, deposit=1000)
    try:
        reply = await sock.request("spin", game=GAME, stake=100)
        assert reply["id"] == 1 + 1  # hello took id 1
        assert reply["type"] == "spin"
        assert reply["balance"] == 1000 - 100 + reply["payout"]
        assert len(reply["outcome"]["grid"]) == 3
        assert len(reply["round_id"]) == 32
    finally:
        await close(client, sock)


async def test_json_text_frames_play_exactly_like_msgpack(casino: ServerProcess) -> None:
    client, sock = await player_socket(casino, deposit=1000, binary=False)
    try:
        reply = await sock.spin(GAME, 100)
        assert reply["type"] == "spin"
        assert (await sock.balance())["balance"] == reply["balance"]
    finally:
        await close(client, sock)


def mp(**fields: object) -> bytes:
    return msgspec.msgpack.encode(fields)


def spin(request_id: int, stake: object, game: str = GAME) -> bytes:
    return mp(type="spin", id=request_id, game=game, stake=stake)


BAD_FRAMES: list[tuple[bytes | str, str, object]] = [
    (b"\xc1\xff", "BAD_FRAME", None),
    ("{not json", "BAD_FRAME", None),
    (msgspec.msgpack.encode([1, 2]), "BAD_FRAME", None),
    (mp(type="launch_missiles", id=11), "UNKNOWN_TYPE", 11),
    (mp(type="spin", id=12, game=GAME), "MISSING_FIELD", 12),
    (mp(id=13), "MISSING_FIELD", 13),
    (spin(14, -100), "INVALID_STAKE", 14),
    (spin(15, 2.5), "INVALID_STAKE", 15),
    ('{"type":"spin","id":16,"game":"classic-sevens","stake":"100"}', "INVALID_STAKE", 16),
    (spin(17, CLASSIC.max_stake + 5), "STAKE_ABOVE_MAX", 17),
    (spin(18, 101), "INVALID_STAKE", 18),
    (spin(19, 100, game="no-such-game"), "UNKNOWN_GAME", 19),
    (mp(type="history", id=20, limit=1000), "INVALID_FIELD", 20),
    (mp(type="balance", id=21, pad="x" * 20_000), "FRAME_TOO_LARGE", None),
    (mp(type="hello", id=22, token="again"), "ALREADY_AUTHENTICATED", 22),
]


@pytest.mark.parametrize(("frame", "code", "request_id"), BAD_FRAMES)
async def test_a_bad_frame_gets_an_error_and_the_connection_and_money_stay(
    casino: ServerProcess, frame: bytes | str, code: str, request_id: object
) -> None:
    client, sock = await player_socket(casino, deposit=1000)
    try:
        reply = await sock.send_raw(frame)
        assert (reply["type"], reply["code"], reply["id"]) == ("error", code, request_id)
        assert reply["message"]
        after = await sock.balance()
        assert (after["type"], after["balance"]) == ("balance", 1000)
    finally:
        await close(client, sock)


async def test_requests_before_hello_are_not_authenticated(casino: ServerProcess) -> None:
    async with CasinoClient(casino.base_url) as client, client.socket() as sock:
        reply = await sock.spin(GAME, 100)
    assert (reply["code"], reply["id"]) == ("NOT_AUTHENTICATED", 1)


async def test_a_wrong_token_is_refused_and_the_connection_can_still_say_hello(
    casino: ServerProcess,
) -> None:
    client, _ = await new_player(casino.base_url)
    async with client, client.socket() as sock:
        assert (await sock.hello("not-a-token"))["code"] == "INVALID_TOKEN"
        assert client.token is not None
        assert (await sock.hello(client.token))["type"] == "welcome"


async def test_an_expired_token_is_refused(casino: ServerProcess) -> None:
    client, _ = await new_player(casino.base_url)
    assert client.token is not None
    digest = hashlib.sha256(client.token.encode()).hexdigest()
    test_db.execute(
        casino.database_path, "UPDATE sessions SET expires_at = 1 WHERE token_hash = ?", (digest,)
    )
    async with client, client.socket() as sock:
        reply = await sock.hello(client.token)
    assert reply["code"] == "TOKEN_EXPIRED"


async def test_an_unsupported_protocol_version_is_refused(casino: ServerProcess) -> None:
    client, _ = await new_player(casino.base_url)
    async with client, client.socket() as sock:
        reply = await sock.request("hello", token=client.token, version=99)
    assert reply["code"] == "UNSUPPORTED_VERSION"


async def test_a_stake_above_the_balance_is_refused_and_nothing_moves(
    casino: ServerProcess,
) -> None:
    client, sock = await player_socket(casino, deposit=300)
    try:
        reply = await sock.spin(GAME, 500)
        assert (reply["code"], reply["balance"]) == ("INSUFFICIENT_FUNDS", 300)
        assert (await sock.balance())["balance"] == 300
        assert (await sock.history())["rounds"] == []
    finally:
        await close(client, sock)


async def test_a_socket_that_left_its_pushes_unread_closes_with_a_full_handshake(
    casino: ServerProcess,
) -> None:
    # Another session's spins push balances here; websockets stops reading a connection
    # whose queue of unread messages is full, and the server's answer to our close would
    # wait behind them until close_timeout (10 s), then the connection is dropped.
    client, _ = await new_player(casino.base_url, deposit=10_000)
    assert client.token is not None
    async with client.socket() as playing, client.socket() as idle:
        await playing.hello(client.token)
        await idle.hello(client.token)
        for _ in range(40):
            assert (await playing.spin(GAME, 100))["type"] == "spin"
        await asyncio.sleep(1)  # the relay's pushes reach the idle socket
        await idle.__aexit__(None, None, None)
        assert idle.ws is not None
        received = idle.ws.protocol.close_rcvd  # None: the server's close never came through
        assert received is not None and received.code == 1000
    await client.__aexit__(None, None, None)


async def test_fifty_concurrent_spins_against_a_balance_for_ten_never_overdraw(
    casino: ServerProcess,
) -> None:
    client, _ = await new_player(casino.base_url, deposit=1000)
    assert client.token is not None
    sockets = [client.socket() for _ in range(50)]
    try:
        for sock in sockets:
            await sock.__aenter__()
            await sock.hello(client.token)
        replies = await asyncio.gather(*(sock.spin(GAME, 100) for sock in sockets))
        accepted = [r for r in replies if r["type"] == "spin"]
        refused = [r for r in replies if r["type"] == "error"]
        assert {r["code"] for r in refused} <= {"INSUFFICIENT_FUNDS"}
        assert all(r["balance"] >= 0 for r in replies)
        wins = sum(r["payout"] for r in accepted)
        # Wins paid during the burst can fund a few more stakes, so at least ten are accepted.
        assert len(accepted) >= 10
        final = (await sockets[0].balance())["balance"]
        assert final == 1000 - 100 * len(accepted) + wins
        assert final >= 0
    finally:
        for sock in sockets:
            await sock.__aexit__(None, None, None)
        await client.__aexit__(None, None, None)
