"""The load driver's WebSocket client against the real server: a request and its reply,
text frames, and a server's close seen by the waiting reader."""

from __future__ import annotations

import msgspec
import pytest

from clients.lean_socket import LeanSocket
from games.classic_slot import INFO as CLASSIC
from tests.conftest import ServerProcess, new_player


def ws_url(casino: ServerProcess) -> str:
    return f"ws://127.0.0.1:{casino.port}/ws"


async def binary_reply(socket: LeanSocket) -> dict[str, object]:
    """The next reply, past any push (a push has no id): the balance push of the player's
    deposit can come after the welcome."""
    while True:
        frame = await socket.recv()
        assert isinstance(frame, bytes)
        reply: dict[str, object] = msgspec.msgpack.decode(frame)
        if "id" in reply:
            return reply


async def test_a_spin_goes_out_and_its_reply_comes_back(casino: ServerProcess) -> None:
    client, _ = await new_player(casino.base_url, deposit=1_000)
    async with client:
        assert client.token is not None
        socket = await LeanSocket.connect(ws_url(casino))
        try:
            socket.send(msgspec.msgpack.encode({"type": "hello", "id": 1, "token": client.token}))
            welcome = await binary_reply(socket)
            socket.send(
                msgspec.msgpack.encode({"type": "spin", "id": 2, "game": CLASSIC.id, "stake": 100})
            )
            spin = await binary_reply(socket)
        finally:
            socket.close()
    assert (welcome["type"], welcome["id"], welcome["balance"]) == ("welcome", 1, 1_000)
    assert (spin["type"], spin["id"], spin["stake"]) == ("spin", 2, 100)
    assert spin["balance"] == 1_000 - 100 + int(str(spin["payout"]))


async def test_a_text_reply_arrives_as_text(casino: ServerProcess) -> None:
    socket = await LeanSocket.connect(ws_url(casino))
    try:
        socket.send('{"type": "balance", "id": 7}')
        first = await socket.recv()
    finally:
        socket.close()
    assert isinstance(first, str)
    assert msgspec.json.decode(first)["code"] == "NOT_AUTHENTICATED"  # no hello came first


async def test_a_reader_waiting_when_the_server_closes_gets_a_connection_error(
    casino: ServerProcess,
) -> None:
    socket = await LeanSocket.connect(ws_url(casino))
    socket.send(b"\xc1" * (2 * 1024 * 1024))  # larger than any frame the server takes
    with pytest.raises(ConnectionError):
        while True:
            await socket.recv()
    socket.close()
