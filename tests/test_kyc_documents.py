"""KYC documents over real HTTP: what is accepted, and how a download is served.

Acceptance is judged by the bytes; a download is never something a browser
would render, whatever the file holds.
"""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
import pytest

from clients.api import CasinoClient
from tests.conftest import ServerProcess, new_player, unique

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) + b"\r\n\r\n--not-a-boundary\r\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(64)
HTML = b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>"
POLYGLOT = b"\x89PNG\r\n\x1a\n<html><body><script>alert(document.domain)</script></body></html>"
LIMIT = 5 * 1024 * 1024


def auth(client: CasinoClient) -> dict[str, str]:
    return {"Authorization": f"Bearer {client.token}"}


async def upload_raw(
    client: CasinoClient, data: bytes, kind: str = "id", filename: str = "passport.pdf"
) -> httpx.Response:
    return await client.http.post(
        "/api/kyc/documents",
        params={"kind": kind, "filename": filename},
        content=data,
        headers=auth(client),
    )


async def upload_form(
    client: CasinoClient, data: bytes, filename: str, declared: str, kind: str = "address"
) -> httpx.Response:
    return await client.http.post(
        "/api/kyc/documents",
        data={"kind": kind},
        files={"file": (filename, data, declared)},
        headers=auth(client),
    )


def error(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


async def listing(client: CasinoClient) -> dict[str, Any]:
    result: dict[str, Any] = await client.call("GET", "/api/kyc/documents")
    return result


async def test_a_pdf_is_accepted_and_the_player_becomes_pending(casino: ServerProcess) -> None:
    client, _ = await new_player(casino.base_url)
    async with client:
        response = await upload_raw(client, PDF)
    body = response.json()
    assert response.status_code == 201
    assert {k: v for k, v in body.items() if k not in ("document_id", "uploaded_at")} == {
        "kind": "id",
        "content_type": "application/pdf",
        "size": len(PDF),
        "sha256": hashlib.sha256(PDF).hexdigest(),
        "filename": "passport.pdf",
        "kyc_status": "pending",
    }


async def test_a_multipart_png_downloads_byte_for_byte(casino: ServerProcess) -> None:
    client, _ = await new_player(casino.base_url)
    async with client:
        uploaded = (await upload_form(client, PNG, "bill.png", "image/png")).json()
        download = await client.http.get(
            f"/api/kyc/documents/{uploaded['document_id']}", headers=auth(client)
        )
    assert (uploaded["kind"], uploaded["content_type"]) == ("address", "image/png")
    assert download.content == PNG


async def test_a_jpeg_is_accepted(casino: ServerProcess) -> None:
    client, _ = await new_player(casino.base_url)
    async with client:
        response = await upload_raw(client, JPEG, kind="payment", filename="card.jpg")
    assert (response.status_code, response.json()["content_type"]) == (201, "image/jpeg")


async def test_an_html_file_named_pdf_is_refused(casino: ServerProcess) -> None:
    client, _ = await new_player(casino.base_url)
    async with client:
        response = await upload_form(client, HTML, "passport.pdf", "application/pdf")
    assert error(response) == (415, "UNSUPPORTED_DOCUMENT")


@pytest.mark.parametrize(
    "data",
    [
        HTML,
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        b"#!/bin/sh\nrm -rf /\n",
        b"GIF89a\x01\x00\x01\x00",
        b"  %PDF-1.7 with leading spaces",
    ],
    ids=["html", "svg", "script", "gif", "pdf-not-at-start"],
)
async def test_anything_but_pdf_jpeg_png_is_refused(casino: ServerProcess, data: bytes) -> None:
    client, _ = await new_player(casino.base_url)
    async with client:
        assert error(await upload_raw(client, data)) == (415, "UNSUPPORTED_DOCUMENT")


async def test_a_refused_document_leaves_nothing_behind(casino: ServerProcess) -> None:
    client, _ = await new_player(casino.base_url)
    async with client:
        await upload_raw(client, HTML)
        assert await listing(client) == {"kyc_status": "unverified", "documents": []}


async def test_a_document_over_the_limit_is_refused(casino: ServerProcess) -> None:
    client, _ = await new_player(casino.base_url)
    async with client:
        response = await upload_raw(client, PDF + bytes(LIMIT - len(PDF) + 1))
        assert error(response) == (413, "DOCUMENT_TOO_LARGE")
        assert (await listing(client))["documents"] == []


async def test_a_document_of_exactly_the_limit_is_accepted(casino: ServerProcess) -> None:
    client, _ = await new_player(casino.base_url)
    async with client:
        response = await upload_raw(client, PDF + bytes(LIMIT - len(PDF)))
    assert (response.status_code, response.json()["size"]) == (201, LIMIT)


async def test_an_unknown_kind_is_validation_failed(casino: ServerProcess) -> None:
    client, _ = await new_player(casino.base_url)
    async with client:
        assert error(await upload_raw(client, PDF, kind="selfie")) == (422, "VALIDATION_FAILED")


async def test_an_upload_needs_a_session(casino: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=casino.base_url) as http:
        response = await http.post("/api/kyc/documents", params={"kind": "id"}, content=PDF)
    assert error(response) == (401, "NOT_AUTHENTICATED")


async def test_a_polyglot_is_downloaded_only_as_an_attachment(casino: ServerProcess) -> None:
    client, _ = await new_player(casino.base_url)
    async with client:
        uploaded = (await upload_raw(client, POLYGLOT, filename='x".html\r\nX-Evil: 1')).json()
        download = await client.http.get(
            f"/api/kyc/documents/{uploaded['document_id']}", headers=auth(client)
        )
    assert download.content == POLYGLOT
    assert download.headers["content-type"] == "application/octet-stream"
    assert download.headers["content-disposition"] == (
        f'attachment; filename="kyc-{uploaded["document_id"]}.png"'
    )
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-security-policy"].split(";")[0] == "sandbox"
    assert "x-evil" not in download.headers


async def test_the_player_given_name_is_kept_only_in_a_safe_form(casino: ServerProcess) -> None:
    client, _ = await new_player(casino.base_url)
    async with client:
        uploaded = (await upload_raw(client, PDF, filename="../../etc/pass word.pdf")).json()
    assert uploaded["filename"] == "pass_word.pdf"


async def test_another_players_document_is_not_found(casino: ServerProcess) -> None:
    owner, _ = await new_player(casino.base_url)
    other, _ = await new_player(casino.base_url)
    async with owner, other:
        uploaded = (await upload_raw(owner, PDF)).json()
        response = await other.http.get(
            f"/api/kyc/documents/{uploaded['document_id']}", headers=auth(other)
        )
    assert error(response) == (404, "NOT_FOUND")


async def test_the_list_holds_the_players_own_documents_in_order(casino: ServerProcess) -> None:
    client, _ = await new_player(casino.base_url)
    other, _ = await new_player(casino.base_url)
    async with client, other:
        await upload_raw(other, PDF)
        first = (await upload_raw(client, PDF, kind="id")).json()
        second = (await upload_form(client, PNG, "bill.png", "image/png")).json()
        found = await listing(client)
    assert found["kyc_status"] == "pending"
    assert [d["document_id"] for d in found["documents"]] == [
        first["document_id"],
        second["document_id"],
    ]


async def test_document_bytes_never_reach_the_server_log(casino: ServerProcess) -> None:
    marker = unique("SECRET-PASSPORT-NUMBER-").encode()
    client, _ = await new_player(casino.base_url)
    async with client:
        assert (await upload_raw(client, PDF + marker)).status_code == 201
        refused = HTML + marker
        assert (await upload_form(client, refused, "a.pdf", "application/pdf")).status_code == 415
    assert marker.decode() not in casino.log()


@pytest.mark.parametrize("document_id", ["0", str(2**64)])
async def test_an_id_out_of_range_is_not_found(casino: ServerProcess, document_id: str) -> None:
    client, _ = await new_player(casino.base_url)
    async with client:
        response = await client.http.get(f"/api/kyc/documents/{document_id}", headers=auth(client))
    assert error(response) == (404, "NOT_FOUND")
