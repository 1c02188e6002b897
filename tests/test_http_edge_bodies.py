"""Request bodies at the HTTP edge, over real sockets: refused 413 as soon as they pass their
route's limit (before authentication), 408 when they stop arriving, 415 on a JSON route
unless declared JSON; a client that leaves mid-body is logged as a disconnect, not a fault.

The server here allows 2 KiB KYC documents and a 1 s pause inside a body; JSON routes take
64 KiB and the provider API 16 KiB, fixed.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import ServerProcess, new_player, unique
from tests.support import db as test_db
from tests.support.http_edge import (
    WAIT_S,
    closed_by_server,
    connection,
    edge_server,
    read_reply,
    request,
    send,
)

JSON_LIMIT = 64 * 1024
PROVIDER_LIMIT = 16 * 1024
DOCUMENT_LIMIT = 2048
MULTIPART_OVERHEAD = 16 * 1024
# Where a body that never ends gives up, so old code fails by its silence, not by filling memory.
ENDLESS_CAP = 64 * 1024 * 1024
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


@pytest.fixture(scope="module")
def edge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    env = {"CASINO_HTTP_BODY_TIMEOUT_SECONDS": "1", "CASINO_KYC_MAX_DOCUMENT_BYTES": "2048"}
    with edge_server(tmp_path_factory.mktemp("edge-bodies"), env) as server:
        yield server


def registration(name: str) -> dict[str, str]:
    return {
        "email": f"{name}@example.com",
        "username": name,
        "password": "Correct-Horse-42",
        "date_of_birth": "1985-06-15",
        "country": "DE",
        "currency": "EUR",
    }


def padded(data: dict[str, str], size: int) -> bytes:
    """JSON of exactly `size` bytes (trailing spaces are valid JSON)."""
    raw = json.dumps(data).encode()
    return raw + b" " * (size - len(raw))


def players_named(server: ServerProcess, name: str) -> int:
    [(count,)] = test_db.query(
        server.database_path, "SELECT COUNT(*) FROM players WHERE username = ?", (name,)
    )
    return int(count)


def endless_sender(sock: socket.socket, head: bytes) -> threading.Thread:
    """Sends `head`, then 64 KiB chunks of a chunked body that never ends, until the server
    stops reading (or ENDLESS_CAP is reached)."""
    chunk = b"%x\r\n" % 65536 + b"x" * 65536 + b"\r\n"

    def run() -> None:
        if not send(sock, head):
            return
        sent = 0
        while sent < ENDLESS_CAP and send(sock, chunk):
            sent += len(chunk)

    return threading.Thread(target=run, daemon=True)


def wait_for_log(server: ServerProcess, text: str) -> str:
    deadline = time.monotonic() + WAIT_S
    while text not in server.log():
        assert time.monotonic() < deadline, f"{text!r} never logged:\n{server.log()[-3000:]}"
        time.sleep(0.05)
    return server.log()


# -- the size of a body -------------------------------------------------------------------------
def test_a_body_declared_over_64_kib_is_refused_before_a_byte_of_it_is_sent(
    edge: ServerProcess,
) -> None:
    with connection(edge) as sock:
        headers = {"Content-Type": "application/json", "Content-Length": "1000000000"}
        send(sock, request("POST", "/api/players", headers))
        reply = read_reply(sock)
        assert (reply.status, reply.code) == (413, "FRAME_TOO_LARGE")
        assert reply.message == "the request body is at most 65536 bytes"
        assert closed_by_server(sock)


def test_a_json_body_of_64_kib_is_read_and_one_byte_more_is_refused(edge: ServerProcess) -> None:
    headers = {"Content-Type": "application/json"}
    with httpx.Client(base_url=edge.base_url, timeout=WAIT_S) as http:
        at_limit = http.post("/api/players", content=padded({}, JSON_LIMIT), headers=headers)
        over = http.post("/api/players", content=padded({}, JSON_LIMIT + 1), headers=headers)
    assert (at_limit.status_code, at_limit.json()["error"]["code"]) == (422, "VALIDATION_FAILED")
    assert (over.status_code, over.json()["error"]["code"]) == (413, "FRAME_TOO_LARGE")


def test_a_body_that_never_ends_is_refused_once_past_64_kib(edge: ServerProcess) -> None:
    with connection(edge) as sock:
        headers = {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}
        sender = endless_sender(sock, request("POST", "/api/sessions", headers))
        sender.start()
        reply = read_reply(sock)
        assert (reply.status, reply.code) == (413, "FRAME_TOO_LARGE")
        assert closed_by_server(sock)
    sender.join(WAIT_S)


def test_a_client_sending_all_of_an_oversized_body_before_reading_gets_the_413(
    edge: ServerProcess,
) -> None:
    """As most client libraries do: the connection is not reset under the reply."""
    with httpx.Client(base_url=edge.base_url, timeout=WAIT_S) as http:
        reply = http.post(
            "/api/players",
            content=b" " * (4 * 1024 * 1024),
            headers={"Content-Type": "application/json"},
        )
    assert (reply.status_code, reply.json()["error"]["code"]) == (413, "FRAME_TOO_LARGE")


def test_an_oversized_body_is_refused_before_authentication(edge: ServerProcess) -> None:
    """No token, and a body too large: the size is refused first, so a stranger's body costs
    no token lookup (a route that authenticates first would answer 401)."""
    with connection(edge) as sock:
        headers = {"Content-Type": "application/json", "Content-Length": str(JSON_LIMIT + 1)}
        send(sock, request("POST", "/api/me/password", headers))
        reply = read_reply(sock)
    assert (reply.status, reply.code) == (413, "FRAME_TOO_LARGE")


def test_a_route_without_a_body_refuses_a_huge_one_too(edge: ServerProcess) -> None:
    with connection(edge) as sock:
        send(sock, request("GET", "/health", {"Content-Length": "1000000000"}))
        reply = read_reply(sock)
    assert (reply.status, reply.code) == (413, "FRAME_TOO_LARGE")


@pytest.mark.parametrize("query", ["game=%00", "cursor=a%00b&limit=5"])
def test_a_nul_in_a_query_is_refused_before_the_route_runs(edge: ServerProcess, query: str) -> None:
    # PostgreSQL cannot store a NUL in text; it is refused on both databases, and before
    # authentication, so the route never reads it.
    reply = httpx.get(f"{edge.base_url}/api/rounds?{query}", timeout=10)
    assert (reply.status_code, reply.json()["error"]) == (
        422,
        {"code": "VALIDATION_FAILED", "message": "text may not contain the NUL character"},
    )


def test_a_provider_call_is_read_up_to_16_kib_and_refused_past_it(edge: ServerProcess) -> None:
    """In the provider API's own terms: every wallet call is answered 200 with a status."""
    headers = {"Content-Type": "application/json", "X-Provider-Id": "sandbox"}
    with httpx.Client(base_url=edge.base_url, timeout=WAIT_S) as http:
        at_limit = http.post(
            "/provider/user/balance", content=padded({}, PROVIDER_LIMIT), headers=headers
        )
        over = http.post(
            "/provider/user/balance", content=padded({}, PROVIDER_LIMIT + 1), headers=headers
        )
    # Read whole and judged by its (missing) signature; the larger one never gets that far.
    assert (at_limit.status_code, at_limit.json()["status"]) == (200, "RS_ERROR_INVALID_SIGNATURE")
    assert (over.status_code, over.json()["status"]) == (200, "RS_ERROR_WRONG_SYNTAX")


def test_a_provider_call_declared_huge_is_answered_without_reading_the_rest(
    edge: ServerProcess,
) -> None:
    with connection(edge) as sock:
        headers = {"Content-Type": "application/json", "Content-Length": "1000000000"}
        sender = endless_sender(sock, request("POST", "/provider/user/balance", headers))
        sender.start()
        reply = read_reply(sock)
        assert (reply.status, json.loads(reply.body)["status"]) == (200, "RS_ERROR_WRONG_SYNTAX")
        assert closed_by_server(sock)  # while the client still sends: no gigabyte swallowed
    sender.join(WAIT_S)


@pytest.mark.parametrize(
    ("content_type", "declared"),
    [
        ("application/pdf", DOCUMENT_LIMIT + 1),
        ("multipart/form-data; boundary=x", DOCUMENT_LIMIT + MULTIPART_OVERHEAD + 1),
    ],
)
def test_a_kyc_upload_declared_over_its_cap_is_refused_before_authentication(
    edge: ServerProcess, content_type: str, declared: int
) -> None:
    with connection(edge) as sock:
        headers = {"Content-Type": content_type, "Content-Length": str(declared)}
        send(sock, request("POST", "/api/kyc/documents?kind=id", headers))
        reply = read_reply(sock)
    assert (reply.status, reply.code) == (413, "DOCUMENT_TOO_LARGE")
    assert reply.message == f"a document upload is at most {declared - 1} bytes"


def test_a_kyc_upload_within_its_cap_meets_authentication_first(edge: ServerProcess) -> None:
    with httpx.Client(base_url=edge.base_url, timeout=WAIT_S) as http:
        reply = http.post("/api/kyc/documents?kind=id", content=PNG + bytes(DOCUMENT_LIMIT - 72))
    assert (reply.status_code, reply.json()["error"]["code"]) == (401, "NOT_AUTHENTICATED")


async def test_a_kyc_upload_that_never_ends_is_cut_off_past_its_cap(edge: ServerProcess) -> None:
    client, _ = await new_player(edge.base_url)
    async with client:
        with connection(edge) as sock:
            headers = {
                "Authorization": f"Bearer {client.token}",
                "Content-Type": "application/octet-stream",
                "Transfer-Encoding": "chunked",
            }
            sender = endless_sender(sock, request("POST", "/api/kyc/documents?kind=id", headers))
            sender.start()
            reply = read_reply(sock)
            assert (reply.status, reply.code) == (413, "DOCUMENT_TOO_LARGE")
            assert closed_by_server(sock)
        sender.join(WAIT_S)
        listed = await client.call("GET", "/api/kyc/documents")
    assert (listed["kyc_status"], listed["documents"]) == ("unverified", [])


# -- the pace of a body -------------------------------------------------------------------------
def test_a_body_that_stops_arriving_is_answered_408_and_closed(edge: ServerProcess) -> None:
    with connection(edge) as sock:
        headers = {"Content-Type": "application/json", "Content-Length": "100"}
        send(sock, request("POST", "/api/sessions", headers) + b'{"login": ')
        reply = read_reply(sock)
        assert (reply.status, reply.code) == (408, "REQUEST_TIMEOUT")
        assert reply.message == "the body stopped arriving for 1 s"
        assert closed_by_server(sock)


# -- the type of a body -------------------------------------------------------------------------
def test_a_cross_site_text_plain_registration_creates_no_player(edge: ServerProcess) -> None:
    """What a form on any web site can make a visitor's browser send, without a preflight."""
    name = unique("xs_")
    with httpx.Client(base_url=edge.base_url, timeout=WAIT_S) as http:
        reply = http.post(
            "/api/players",
            content=json.dumps(registration(name)),
            headers={"Content-Type": "text/plain;charset=UTF-8", "Origin": "https://evil.test"},
        )
    assert (reply.status_code, reply.json()["error"]) == (
        415,
        {
            "code": "UNSUPPORTED_MEDIA_TYPE",
            "message": "send the body as JSON with Content-Type: application/json",
        },
    )
    assert players_named(edge, name) == 0


def test_a_body_without_a_declared_type_is_refused_on_a_json_route(edge: ServerProcess) -> None:
    name = unique("nt_")
    with httpx.Client(base_url=edge.base_url, timeout=WAIT_S) as http:
        reply = http.post("/api/players", content=json.dumps(registration(name)))
    assert (reply.status_code, reply.json()["error"]["code"]) == (415, "UNSUPPORTED_MEDIA_TYPE")
    assert players_named(edge, name) == 0


def test_json_declared_with_a_charset_is_accepted(edge: ServerProcess) -> None:
    name = unique("cs_")
    with httpx.Client(base_url=edge.base_url, timeout=WAIT_S) as http:
        reply = http.post(
            "/api/players",
            content=json.dumps(registration(name)),
            headers={"Content-Type": "Application/JSON; charset=utf-8"},
        )
    assert reply.status_code == 201
    assert players_named(edge, name) == 1


# -- a client that leaves -----------------------------------------------------------------------
def test_a_client_leaving_mid_body_is_logged_as_a_disconnect_not_an_error(
    edge: ServerProcess,
) -> None:
    with connection(edge) as sock:
        headers = {"Content-Type": "application/json", "Content-Length": "1000"}
        send(sock, request("POST", "/api/players", headers) + b'{"email": ')
    log = wait_for_log(edge, "client went away before POST /api/players was answered")
    assert "unhandled error" not in log
    assert "Traceback" not in log


async def test_a_player_leaving_mid_upload_is_logged_as_a_disconnect_not_an_error(
    edge: ServerProcess,
) -> None:
    client, _ = await new_player(edge.base_url)
    async with client:
        with connection(edge) as sock:
            headers = {
                "Authorization": f"Bearer {client.token}",
                "Content-Type": "application/octet-stream",
                "Content-Length": str(DOCUMENT_LIMIT),
            }
            send(sock, request("POST", "/api/kyc/documents?kind=id", headers) + PNG)
    log = wait_for_log(edge, "client went away before POST /api/kyc/documents was answered")
    assert "unhandled error" not in log
    assert "Traceback" not in log
