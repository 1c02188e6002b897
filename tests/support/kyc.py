"""A player verified to KYC level 1 the way an operator's staff would do it: an identity
document uploaded, then approved through the staff review API. For tests whose subject needs
a verified player (withdrawals); the KYC tests prove the checks themselves."""

from __future__ import annotations

import asyncio
import time

import httpx

import rng
from clients.api import CasinoClient

STAFF_TOKEN = rng.token_urlsafe(24)  # set as CASINO_STAFF_TOKEN on every test server
PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF\n"


async def verify_identity(client: CasinoClient, staff_token: str = STAFF_TOKEN) -> None:
    """`verify_token`, for a logged-in CasinoClient."""
    assert client.token is not None
    await verify_token(client.http, client.token, staff_token)


async def verify_token(http: httpx.AsyncClient, token: str, staff_token: str = STAFF_TOKEN) -> None:
    """Upload an identity document for the player logged in with `token` and approve it as
    staff; return once level 1 is reached. A sandbox KYC vendor, where one runs, may answer
    first: staff then find nothing pending."""
    player = {"Authorization": f"Bearer {token}"}
    uploaded = await http.post(
        "/api/kyc/documents",
        params={"kind": "id", "filename": "passport.pdf"},
        content=PDF,
        headers=player,
    )
    assert uploaded.status_code == 201, uploaded.text
    me = (await http.get("/api/me", headers=player)).json()
    approved = await http.post(
        f"/api/staff/kyc/{me['player_id']}/approve",
        headers={"Authorization": f"Bearer {staff_token}"},
    )
    assert approved.status_code in (200, 409), approved.text
    deadline = time.monotonic() + 10
    while (await http.get("/api/kyc/status", headers=player)).json()["level"] < 1:
        assert time.monotonic() < deadline, "the player never reached KYC level 1"
        await asyncio.sleep(0.05)
