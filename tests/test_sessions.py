"""Live sessions in the real world: resent requests, pushes across processes, logout,
heartbeats for dead peers, graceful shutdown under load, and worker processes."""

from __future__ import annotations

import asyncio
import base64
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from clients.api import CasinoClient, GameSocket
from server.money import keys
from server.storage.redis_child import RedisChild
from server.storage.redis_client import connect as connect_redis
from tests.conftest import (
    ROOT,
    ServerProcess,
    new_player,
    serving_workers,
    settled_report,
    start_server,
    stop_server,
    unique,
)
from tests.support import db as test_db
from tests.support.provider import seat


async def test_welcome_states_protocol_time_and_capabilities(casino: ServerProcess) -> None:
    client, _ = await new_player(casino.base_url)
    async with client, client.socket() as sock:
        assert client.token is not None
        welcome = await sock.hello(client.token)
    assert welcome["protocol"] == 1
    assert abs(welcome["server_time"] - time.time() * 1000) < 60_000
    assert {"idempotent-requests", "resume", "push"} <= set(welcome["capabilities"])
    assert welcome["open_rounds"] == []


async def test_a_spin_whose_reply_was_lost_is_reported_once_after_reconnect(
    casino: ServerProcess,
) -> None:
    client, _ = await new_player(casino.base_url, deposit=1000)
    session = unique("tab-")
    async with client:
        assert client.token is not None
        async with client.socket() as sock:
            await sock.request("hello", token=client.token, client_session=session)
            assert sock.ws is not None
            await sock.ws.send(
                sock.encode({"type": "spin", "id": 77, "game": "classic-sevens", "stake": 100})
            )
        # The socket closed before the reply was read: the client does not know the result.
        async with client.socket() as again:
            await again.request("hello", token=client.token, client_session=session)
            first = await again.send_raw(
                again.encode({"type": "spin", "id": 77, "game": "classic-sevens", "stake": 100})
            )
            repeat = await again.send_raw(
                again.encode({"type": "spin", "id": 77, "game": "classic-sevens", "stake": 100})
            )
            history = (await again.history())["rounds"]
    assert first["type"] == "spin" and first == repeat
    assert [r["round_id"] for r in history] == [first["round_id"]]
    assert first["balance"] == 1000 - 100 + first["payout"]


async def test_an_id_reused_for_another_request_is_played_not_answered_from_the_cache(
    casino: ServerProcess,
) -> None:
    client, _ = await new_player(casino.base_url, deposit=1000)
    session = unique("tab-")
    spin = {"type": "spin", "id": 1, "game": "classic-sevens"}
    async with client:
        assert client.token is not None
        async with client.socket() as sock:
            await sock.request("hello", token=client.token, client_session=session)
            earlier = await sock.send_raw(sock.encode({**spin, "stake": 100}))
        # A new socket object under the same client session counts its ids from 1 again.
        async with client.socket() as again:
            await again.request("hello", token=client.token, client_session=session)
            later = await again.send_raw(again.encode({**spin, "stake": 200}))
            resent = await again.send_raw(again.encode({**spin, "stake": 200}))
    assert (earlier["stake"], later["stake"]) == (100, 200)
    assert later["round_id"] != earlier["round_id"] and resent == later
    assert later["balance"] == 1000 - 100 + earlier["payout"] - 200 + later["payout"]


async def test_without_a_client_session_a_reused_id_plays_again(casino: ServerProcess) -> None:
    client, _ = await new_player(casino.base_url, deposit=1000)
    async with client, client.socket() as sock:
        assert client.token is not None
        await sock.hello(client.token)
        frame = sock.encode({"type": "spin", "id": 5, "game": "classic-sevens", "stake": 100})
        first = await sock.send_raw(frame)
        second = await sock.send_raw(frame)
    assert first["round_id"] != second["round_id"]


async def test_a_deposit_pushes_the_new_balance_to_open_sessions(casino: ServerProcess) -> None:
    client, _ = await new_player(casino.base_url)
    async with client, client.socket() as sock:
        assert client.token is not None
        await sock.hello(client.token)
        await client.deposit(700, idempotency_key=unique("d"))
        pushed = await sock.next_push()
    assert pushed == {
        "type": "balance_changed",
        "balance": 700,
        "currency": "EUR",
        "reason": "deposit",
    }


async def test_a_spin_in_one_tab_pushes_the_balance_to_the_other(casino: ServerProcess) -> None:
    client, _ = await new_player(casino.base_url, deposit=1000)
    async with client, client.socket() as tab_a, client.socket() as tab_b:
        assert client.token is not None
        await tab_a.hello(client.token)
        await tab_b.hello(client.token)
        spin = await tab_a.spin("classic-sevens", 100)
        pushed = await tab_b.next_push()
        assert (pushed["type"], pushed["balance"]) == ("balance_changed", spin["balance"])
        assert (await tab_b.balance())["balance"] == spin["balance"]


async def test_the_welcome_is_the_first_frame_while_pushes_flow(casino: ServerProcess) -> None:
    # A push made while hello is answered waits for the welcome: clients read the first
    # frame as hello's answer (the soak's race saw a balance push come first).
    client, _ = await new_player(casino.base_url, deposit=100_000)
    ws_url = "ws" + casino.base_url.removeprefix("http") + "/ws"

    async def first_frame() -> str:
        async with websockets.connect(ws_url) as ws:
            await ws.send(msgspec.msgpack.encode({"type": "hello", "id": 0, "token": client.token}))
            return str(msgspec.msgpack.decode(await ws.recv(decode=False))["type"])

    async with client, client.socket() as spinner:
        assert client.token is not None
        await spinner.hello(client.token)

        async def spins() -> None:
            for _ in range(60):
                await spinner.spin("classic-sevens", 10)

        spinning = asyncio.create_task(spins())
        firsts = [await first_frame() for _ in range(30)]
        await spinning
    assert firsts == ["welcome"] * 30


async def test_a_push_reaches_a_session_on_a_second_server_process(
    casino: ServerProcess, tmp_path: Path
) -> None:
    second = start_server(
        tmp_path, casino.redis, {"CASINO_DATABASE_URL": test_db.url_of(casino.database_path)}
    )
    try:
        client, _ = await new_player(casino.base_url)
        async with client:
            assert client.token is not None
            async with CasinoClient(second.base_url) as other, other.socket() as sock:
                await sock.hello(client.token)
                await client.deposit(1234, idempotency_key=unique("d"))  # via the first process
                pushed = await sock.next_push()
        assert (pushed["type"], pushed["balance"]) == ("balance_changed", 1234)
    finally:
        stop_server(second)


async def test_logout_closes_the_sockets_of_that_login_only(casino: ServerProcess) -> None:
    client, player = await new_player(casino.base_url)
    other_login = CasinoClient(casino.base_url)
    await other_login.login(str(player["username"]), "Correct-Horse-42")
    async with client, other_login, client.socket() as sock, other_login.socket() as kept:
        assert client.token is not None and other_login.token is not None
        await sock.hello(client.token)
        await kept.hello(other_login.token)
        await client.logout()
        pushed = await sock.next_push()
        assert pushed == {"type": "forced_logout", "reason": "logout"}
        with pytest.raises(ConnectionClosed) as closed:
            await sock.receive()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4003
        assert (await kept.balance())["type"] == "balance"


async def test_a_provider_win_pushes_the_new_balance_to_open_sessions(
    casino: ServerProcess,
) -> None:
    table = await seat(casino)
    try:
        async with table.player.socket() as sock:
            assert table.player.token is not None
            await sock.hello(table.player.token)
            bet = await table.bet(300)
            await table.win(bet["transaction_uuid"], 1_000, round_closed=True)
            after_bet, after_win = await sock.next_push(), await sock.next_push()
    finally:
        await table.provider.aclose()
        await table.player.http.aclose()
    pushed = {"type": "balance_changed", "currency": "EUR", "reason": "provider"}
    assert after_bet == {**pushed, "balance": 9_700}
    assert after_win == {**pushed, "balance": 10_700}


async def unfinished_hand(sock: GameSocket) -> dict[str, Any]:
    """A blackjack hand waiting for hit or stand (insurance declined when offered)."""
    for _ in range(30):
        hand = await sock.request("play", game="blackjack", stake=100)
        if hand["actions"][:1] == ["insurance"]:
            hand = await sock.request("act", round_id=hand["round_id"], action="no_insurance")
        if not hand["finished"]:
            return hand
    raise AssertionError("thirty blackjack deals all settled at once")


async def test_an_action_whose_reply_was_lost_is_answered_once_and_the_hand_finishes(
    casino: ServerProcess,
) -> None:
    client, _ = await new_player(casino.base_url, deposit=10_000)
    session = unique("tab-")
    hit = {"type": "act", "id": 501, "action": "hit"}
    async with client:
        assert client.token is not None
        async with client.socket() as sock:
            await sock.request("hello", token=client.token, client_session=session)
            hand = await unfinished_hand(sock)
            assert sock.ws is not None
            await sock.ws.send(sock.encode({**hit, "round_id": hand["round_id"]}))
        # Dropped before the reply was read: the client does not know whether it hit.
        async with client.socket() as again:
            welcome = await again.request("hello", token=client.token, client_session=session)
            frame = again.encode({**hit, "round_id": hand["round_id"]})
            first = await again.send_raw(frame)
            repeat = await again.send_raw(frame)
            reply = first
            # Fresh ids: under one client session the first socket's ids are answered from
            # the reply cache, and this socket's own counter starts again at 1.
            for request_id in range(601, 610):
                if reply["finished"]:
                    break
                stand = {"type": "act", "id": request_id, "action": "stand"}
                reply = await again.send_raw(again.encode({**stand, "round_id": hand["round_id"]}))
            balance = (await again.balance())["balance"]
    open_hand = [{"game": "blackjack", "round_id": hand["round_id"]}]
    # A hit that busts (or makes 21) finishes the hand, possibly before the new hello.
    assert welcome["open_rounds"] in ([open_hand, []] if first["finished"] else [open_hand])
    assert first == repeat and (first["type"], first["id"]) == ("round", 501)
    dealt = hand["outcome"]["hands"][0]["cards"]
    hit_once = first["outcome"]["hands"][0]["cards"]
    assert (len(hit_once), hit_once[:2]) == (3, dealt)  # one hit, not two
    assert reply["outcome"]["hands"][0]["cards"] == hit_once
    assert reply["round_id"] == hand["round_id"] and reply["actions"] == []
    # Deals that settled at once (naturals) moved the balance before this hand was dealt.
    extra_stakes = reply["stake"] - 100
    assert balance == reply["balance"] == hand["balance"] - extra_stakes + reply["payout"]


def raw_websocket(port: int) -> socket.socket:
    """A client that completes the handshake and then never answers anything: a dead peer."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    response = b""
    while b"\r\n\r\n" not in response:
        response += sock.recv(1024)
    assert response.startswith(b"HTTP/1.1 101")
    return sock


@pytest.fixture
def strict(tmp_path: Path) -> Iterator[ServerProcess]:
    """A server with tiny limits, so each can be hit on purpose."""
    child = RedisChild(tmp_path / "redis")
    child.start()
    server = start_server(
        tmp_path,
        child,
        {
            "CASINO_PING_INTERVAL_SECONDS": "1",
            "CASINO_PING_TIMEOUT_SECONDS": "1",
            "CASINO_IDLE_TIMEOUT_SECONDS": "4",  # above ping interval + timeout
            "CASINO_MAX_SESSIONS_PER_PLAYER": "2",
            "CASINO_MAX_CONNECTIONS_PER_IP": "6",
            "CASINO_RATE_PER_SECOND": "2",
            "CASINO_RATE_BURST": "6",
            "CASINO_MAX_PENDING": "1",
            "CASINO_MAX_VIOLATIONS": "5",
        },
    )
    yield server
    stop_server(server)
    child.stop()


def test_a_dead_peer_is_closed_after_the_ping_timeout(strict: ServerProcess) -> None:
    sock = raw_websocket(strict.port)
    time.sleep(3.5)
    received = b""
    sock.settimeout(2)
    try:
        while chunk := sock.recv(4096):
            received += chunk
    except TimeoutError:
        pytest.fail("the server kept a dead peer's connection open")
    finally:
        sock.close()
    frames = server_frames(received)
    assert frames[0][0] == 0x9  # the server's ping, never answered
    opcode, payload = frames[-1]
    assert (opcode, int.from_bytes(payload[:2], "big")) == (0x8, 1011)


def server_frames(data: bytes) -> list[tuple[int, bytes]]:
    """(opcode, payload) of each unmasked frame the server sent (small frames only)."""
    frames = []
    while data:
        opcode, length = data[0] & 0x0F, data[1] & 0x7F
        assert length < 126, "only small control frames are expected here"
        frames.append((opcode, data[2 : 2 + length]))
        data = data[2 + length :]
    return frames


async def test_an_idle_session_is_closed_with_4002(strict: ServerProcess) -> None:
    client, _ = await new_player(strict.base_url)
    async with client, client.socket() as sock:
        assert client.token is not None
        await sock.hello(client.token)
        with pytest.raises(ConnectionClosed) as closed:
            async with asyncio.timeout(10):
                await sock.receive()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4002


async def test_a_session_over_the_player_cap_is_refused_and_closed(strict: ServerProcess) -> None:
    client, _ = await new_player(strict.base_url)
    async with client, client.socket() as one, client.socket() as two, client.socket() as three:
        assert client.token is not None
        assert (await one.hello(client.token))["type"] == "welcome"
        assert (await two.hello(client.token))["type"] == "welcome"
        refused = await three.hello(client.token)
        assert refused["code"] == "TOO_MANY_SESSIONS"
        with pytest.raises(ConnectionClosed) as closed:
            await three.receive()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013


async def test_connections_over_the_address_cap_are_refused(strict: ServerProcess) -> None:
    async with CasinoClient(strict.base_url) as client:
        sockets = [client.socket() for _ in range(7)]
        for sock in sockets[:6]:
            await sock.__aenter__()
        try:
            async with sockets[6] as extra:
                message = await extra.receive()
                assert message["code"] == "TOO_MANY_CONNECTIONS"
                with pytest.raises(ConnectionClosed) as closed:
                    await extra.receive()
                assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013
        finally:
            for sock in sockets[:6]:
                await sock.__aexit__(None, None, None)


async def test_requests_over_the_rate_are_refused_then_the_socket_closed(
    strict: ServerProcess,
) -> None:
    client, _ = await new_player(strict.base_url)
    async with client, client.socket() as sock:
        assert client.token is not None
        await sock.hello(client.token)  # one token of the burst of 6
        codes = []
        with pytest.raises(ConnectionClosed) as closed:
            for request_id in range(100, 120):
                codes.append((await sock.request("balance", id=request_id)).get("code"))
    assert codes[:5] == [None] * 5
    assert codes[5:] == ["RATE_LIMITED"] * (len(codes) - 5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008


async def test_requests_beyond_the_pending_cap_are_refused(strict: ServerProcess) -> None:
    client, _ = await new_player(strict.base_url, deposit=1000)
    async with client, client.socket() as sock:
        assert client.token is not None
        await sock.hello(client.token)
        assert sock.ws is not None
        for request_id in (1, 2, 3):
            frame = {"type": "spin", "id": request_id, "game": "classic-sevens", "stake": 100}
            await sock.ws.send(sock.encode(frame))
        replies = [await sock.receive() for _ in range(3)]
        replies = [r for r in replies if "id" in r]
    refused = [r for r in replies if r.get("code") == "TOO_MANY_PENDING"]
    assert refused and len(refused) < 3
    assert all(r["type"] == "spin" for r in replies if r not in refused)


@pytest.fixture
def refusing(tmp_path: Path) -> Iterator[ServerProcess]:
    """A server that closes a connection after its third refused frame, one request at a time."""
    child = RedisChild(tmp_path / "redis")
    child.start()
    server = start_server(
        tmp_path, child, {"CASINO_MAX_PENDING": "1", "CASINO_MAX_VIOLATIONS": "3"}
    )
    yield server
    stop_server(server)
    child.stop()


async def test_repeated_oversized_frames_close_the_socket_with_1008(
    refusing: ServerProcess,
) -> None:
    client, _ = await new_player(refusing.base_url)
    oversized = {"type": "balance", "id": 7, "pad": "x" * 20_000}  # default limit 16384
    async with client, client.socket() as sock:
        assert client.token is not None
        await sock.hello(client.token)
        refused = [await sock.send_raw(sock.encode(oversized)) for _ in range(3)]
        with pytest.raises(ConnectionClosed) as closed:
            await sock.receive()
    assert [(r["id"], r["code"]) for r in refused] == [(None, "FRAME_TOO_LARGE")] * 3
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008


async def test_one_oversized_frame_leaves_the_socket_usable(refusing: ServerProcess) -> None:
    client, _ = await new_player(refusing.base_url, deposit=500)
    async with client, client.socket() as sock:
        assert client.token is not None
        await sock.hello(client.token)
        refused = await sock.send_raw(
            sock.encode({"type": "balance", "id": 7, "pad": "x" * 20_000})
        )
        assert refused["code"] == "FRAME_TOO_LARGE"
        assert (await sock.balance())["balance"] == 500


async def test_repeated_requests_beyond_the_pending_cap_close_the_socket_with_1008(
    refusing: ServerProcess,
) -> None:
    client, _ = await new_player(refusing.base_url, deposit=10_000)
    replies: list[dict[str, Any]] = []
    async with client, client.socket() as sock:
        assert client.token is not None
        await sock.hello(client.token)
        assert sock.ws is not None
        with pytest.raises(ConnectionClosed) as closed:
            # Sent without waiting: each arrives while an earlier spin is still in progress.
            for request_id in range(1, 41):
                frame = {"type": "spin", "id": request_id, "game": "classic-sevens", "stake": 100}
                await sock.ws.send(sock.encode(frame))
            while True:
                replies.append(await sock.receive())
    refused = [r for r in replies if r.get("type") == "error"]
    assert {r["code"] for r in refused} == {"TOO_MANY_PENDING"}
    assert len(refused) == 3
    assert all(r["type"] == "spin" for r in replies if r not in refused)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
    report = await settled_report(refusing)
    assert report.ok, "\n".join(report.lines())


async def test_a_frame_above_one_mebibyte_closes_the_socket_with_1009(
    casino: ServerProcess,
) -> None:
    async with CasinoClient(casino.base_url) as client, client.socket() as sock:
        assert sock.ws is not None
        await sock.ws.send(b"\x80" + bytes(2**20))
        with pytest.raises(ConnectionClosed) as closed:
            await sock.receive()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009


async def test_sigterm_under_load_loses_no_request_and_the_ledger_reconciles(
    tmp_path: Path,
) -> None:
    child = RedisChild(tmp_path / "redis")
    child.start()
    unlimited = {"CASINO_RATE_PER_SECOND": "100000", "CASINO_RATE_BURST": "100000"}
    server = start_server(tmp_path, child, unlimited)
    replies: dict[tuple[str, int], dict[str, object]] = {}
    unanswered: list[tuple[str, str, int]] = []
    player_of: dict[str, int] = {}  # client session -> player id
    stop_playing = asyncio.Event()

    async def player() -> None:
        client, registered = await new_player(server.base_url, deposit=100_000)
        session = unique("s-")
        async with client:
            assert client.token is not None
            try:
                async with client.socket() as sock:
                    await sock.request("hello", token=client.token, client_session=session)
                    player_of[session] = int(str(registered["player_id"]))
                    for request_id in range(1000, 2000):
                        frame = {
                            "type": "spin",
                            "id": request_id,
                            "game": "classic-sevens",
                            "stake": 100,
                        }
                        try:
                            replies[(session, request_id)] = await sock.send_raw(sock.encode(frame))
                        except ConnectionClosed as closed:
                            assert closed.rcvd is not None and closed.rcvd.code == 1012
                            unanswered.append((client.token, session, request_id))
                            return
                        if stop_playing.is_set():
                            return
            except ConnectionClosed:
                return

    players = [asyncio.create_task(player()) for _ in range(20)]
    try:
        # Registration hashes 20 passwords with argon2: on a loaded machine that takes a while.
        deadline = time.monotonic() + 60
        while (len(player_of) < 20 or len(replies) < 200) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert (len(player_of), len(replies) >= 200) == (20, True), "the load never built up"
        server.process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(asyncio.to_thread(server.process.wait), 30)
        assert server.process.returncode == 0, server.log()[-2000:]
    except BaseException:  # leave no server or redis-server running behind a failure
        stop_server(server)
        child.stop()
        raise
    stop_playing.set()
    await asyncio.gather(*players)
    redis = connect_redis(child.url)
    try:
        # flushed before the process exited
        assert [await redis.xlen(stream) for stream in keys.journals()] == [0] * keys.SHARDS
    finally:
        await redis.aclose()
    restarted = start_server(tmp_path, child, unlimited)
    try:
        for token, session, request_id in unanswered:
            resent = await resend_until_answered(restarted, token, session, request_id)
            replies[(session, request_id)] = resent
        report = await settled_report(restarted)
        assert report.ok, "\n".join(report.lines())
        # Every round the database holds is one a client was told about, and no more.
        for session, player_id in player_of.items():
            told = {r.get("round_id") for (s, _), r in replies.items() if s == session} - {None}
            rows = test_db.query(
                restarted.database_path,
                "SELECT round_id FROM rounds WHERE player_id = ? AND status = 'settled'",
                (player_id,),
            )
            stored = {row[0] for row in rows}
            assert stored == told, session
    finally:
        stop_server(restarted)
        child.stop()


async def resend_until_answered(
    server: ServerProcess, token: str, session: str, request_id: int
) -> dict[str, object]:
    """Resend a request whose reply was lost; the original reply must come back, the same
    on every resend. REQUEST_IN_PROGRESS is only a pause: a later resend must answer."""
    frame = {"type": "spin", "id": request_id, "game": "classic-sevens", "stake": 100}
    async with CasinoClient(server.base_url) as client, client.socket() as sock:
        await sock.request("hello", token=token, client_session=session)
        deadline = time.monotonic() + 10
        while True:
            reply = await sock.send_raw(sock.encode(frame))
            if reply.get("code") != "REQUEST_IN_PROGRESS":
                break
            assert time.monotonic() < deadline, f"{session}/{request_id} never answered"
            await asyncio.sleep(0.2)
        assert reply["type"] == "spin", reply
        assert await sock.send_raw(sock.encode(frame)) == reply
    return reply


def test_workers_share_one_port(tmp_path: Path) -> None:
    with serving_workers(tmp_path) as served:
        url = served.base_url
        demo = subprocess.run(
            [sys.executable, str(ROOT / "run.py"), "demo", "--spins", "5", "--url", url],
            env=served.env,
            capture_output=True,
            text=True,
            timeout=90,
            cwd=ROOT,
        )
        assert demo.returncode == 0, demo.stdout + demo.stderr
        assert "history read back from the server: 5 rounds" in demo.stdout
        assert "starting a private one" not in demo.stdout
    output = served.log()
    assert served.process.returncode == 0, output
    assert output.count("Application shutdown complete") == 2
