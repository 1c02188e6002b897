"""History in pages: following `next_cursor` on the WebSocket `history` and on
`GET /api/rounds` reaches every round exactly once, newest first, past the 100 a page
holds; a cursor the server did not give is refused with VALIDATION_FAILED.
"""

from __future__ import annotations

from typing import Any

import pytest

from clients.api import ApiFailure
from tests.conftest import ServerProcess
from tests.test_server_games import close, logged_in

ROUNDS = 105


async def play_rounds(casino: ServerProcess) -> tuple[Any, Any, list[str]]:
    client, sock = await logged_in(casino, deposit=100_000)
    played = []
    for _ in range(ROUNDS):
        reply = await sock.spin("classic-sevens", 100)
        played.append(reply["round_id"])
    return client, sock, played[::-1]  # newest first


async def test_cursors_on_the_socket_and_over_http_reach_every_round_once(
    casino: ServerProcess,
) -> None:
    client, sock, newest_first = await play_rounds(casino)
    try:
        seen: list[str] = []
        cursors = []
        reply = await sock.request("history", limit=40)
        while True:
            seen += [r["round_id"] for r in reply["rounds"]]
            cursors.append(reply["next_cursor"])
            if reply["next_cursor"] is None:
                break
            reply = await sock.request("history", limit=40, cursor=reply["next_cursor"])
        assert seen == newest_first
        assert [c is None for c in cursors] == [False, False, True]

        first = await client.call("GET", "/api/rounds?limit=100")
        assert len(first["rounds"]) == 100
        rest = await client.call("GET", f"/api/rounds?limit=100&cursor={first['next_cursor']}")
        assert rest["next_cursor"] is None
        assert [r["round_id"] for r in first["rounds"] + rest["rounds"]] == newest_first
    finally:
        await close(client, sock)


async def test_a_cursor_the_server_did_not_give_is_refused(casino: ServerProcess) -> None:
    client, sock = await logged_in(casino, deposit=0)
    try:
        reply = await sock.request("history", limit=10, cursor="1' OR 1=1 --")
        assert (reply["type"], reply["code"]) == ("error", "VALIDATION_FAILED")
        with pytest.raises(ApiFailure) as refused:
            await client.call("GET", "/api/rounds?cursor=yesterday")
        assert (refused.value.status, refused.value.code) == (422, "VALIDATION_FAILED")
    finally:
        await close(client, sock)


async def test_a_short_history_has_one_page_and_no_cursor(casino: ServerProcess) -> None:
    client, sock = await logged_in(casino, deposit=1_000)
    try:
        await sock.spin("classic-sevens", 100)
        reply = await sock.request("history", limit=100)
        assert (len(reply["rounds"]), reply["next_cursor"]) == (1, None)
    finally:
        await close(client, sock)
