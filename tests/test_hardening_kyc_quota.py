"""Per-player quotas on KYC documents (issue 26, finding 5: "any player can fill the disk"),
against a server with small quotas: 3 documents, 4,096 bytes in all."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import pytest

from server.storage.redis_child import RedisChild
from tests.conftest import ServerProcess, new_player, start_server, stop_server
from tests.test_kyc_documents import PDF, error, listing, upload_raw

DOCUMENTS = 3
BYTES = 4096


@pytest.fixture(scope="module")
def quota_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    workdir = tmp_path_factory.mktemp("kyc-quota")
    child = RedisChild(workdir / "redis")
    child.start()
    server = start_server(
        workdir,
        child,
        {
            "CASINO_KYC_MAX_DOCUMENTS_PER_PLAYER": str(DOCUMENTS),
            "CASINO_KYC_MAX_BYTES_PER_PLAYER": str(BYTES),
        },
    )
    yield server
    stop_server(server)
    child.stop()


def pdf_of(size: int) -> bytes:
    return PDF + bytes(size - len(PDF))


def stored_files(server: ServerProcess) -> int:
    folder = server.workdir / "kyc"
    return len(list(folder.iterdir())) if folder.exists() else 0


async def test_an_upload_past_the_document_count_is_refused_and_leaves_nothing(
    quota_server: ServerProcess,
) -> None:
    client, _ = await new_player(quota_server.base_url)
    async with client:
        accepted = [(await upload_raw(client, PDF)).status_code for _ in range(DOCUMENTS)]
        files = stored_files(quota_server)
        refused = await upload_raw(client, PDF)
        assert accepted == [201] * DOCUMENTS
        assert error(refused) == (403, "DOCUMENT_QUOTA_EXCEEDED")
        assert len((await listing(client))["documents"]) == DOCUMENTS
    assert stored_files(quota_server) == files


async def test_an_upload_past_the_byte_quota_is_refused_and_one_that_fits_exactly_is_not(
    quota_server: ServerProcess,
) -> None:
    client, _ = await new_player(quota_server.base_url)
    async with client:
        first = await upload_raw(client, pdf_of(1500))
        too_much = await upload_raw(client, pdf_of(BYTES - 1500 + 1))
        exactly = await upload_raw(client, pdf_of(BYTES - 1500))
        sizes = [d["size"] for d in (await listing(client))["documents"]]
    assert (first.status_code, exactly.status_code) == (201, 201)
    assert error(too_much) == (403, "DOCUMENT_QUOTA_EXCEEDED")
    assert sizes == [1500, BYTES - 1500]


async def test_uploads_racing_each_other_cannot_pass_the_quota_together(
    quota_server: ServerProcess,
) -> None:
    client, _ = await new_player(quota_server.base_url)
    async with client:
        files = stored_files(quota_server)
        replies = await asyncio.gather(*(upload_raw(client, PDF) for _ in range(10)))
        documents = (await listing(client))["documents"]
    statuses = sorted(reply.status_code for reply in replies)
    assert statuses == [201] * DOCUMENTS + [403] * (10 - DOCUMENTS)
    assert len(documents) == DOCUMENTS
    assert stored_files(quota_server) == files + DOCUMENTS


async def test_one_players_quota_does_not_limit_another(quota_server: ServerProcess) -> None:
    full, _ = await new_player(quota_server.base_url)
    other, _ = await new_player(quota_server.base_url)
    async with full, other:
        for _ in range(DOCUMENTS):
            await upload_raw(full, PDF)
        refused = await upload_raw(full, PDF)
        accepted = await upload_raw(other, PDF)
    assert error(refused) == (403, "DOCUMENT_QUOTA_EXCEEDED")
    assert accepted.status_code == 201


async def test_a_player_at_the_quota_is_refused_before_the_body_is_sent(
    quota_server: ServerProcess,
) -> None:
    client, _ = await new_player(quota_server.base_url)
    async with client:
        for _ in range(DOCUMENTS):
            await upload_raw(client, PDF)
        assert client.token is not None
        head = (
            "POST /api/kyc/documents?kind=id HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{quota_server.port}\r\n"
            f"Authorization: Bearer {client.token}\r\n"
            "Content-Type: application/octet-stream\r\n"
            "Content-Length: 4000000\r\n\r\n"
        )
        reply = await asyncio.to_thread(_send_head_only, quota_server.port, head.encode())
    assert reply.startswith(b"HTTP/1.1 403")
    assert b"DOCUMENT_QUOTA_EXCEEDED" in reply


def _send_head_only(port: int, head: bytes) -> bytes:
    """Send a request's head and none of its declared body; what the server answers."""
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        sock.sendall(head)
        received = b""
        while b"\r\n\r\n" not in received or not received.rstrip().endswith(b"}"):
            chunk = sock.recv(4096)
            if not chunk:
                break
            received += chunk
        return received
