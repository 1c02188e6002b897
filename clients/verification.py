"""A player verified to a KYC level the way an operator's staff would do it, over the wire.

For the tools that need verified players on a server of their own (the bench and the soak
fund players above EUR 2,000, which needs level 2) and for the tests: each level's document
is uploaded through the player's API (`/api/kyc/documents`), then approved through the
staff review API (`Authorization: Bearer CASINO_STAFF_TOKEN`). A KYC vendor, where one
runs, may answer first; staff then find nothing pending (409) and the level arrives by the
vendor's webhook. This module only asks; the server decides, so it proves nothing about the
checks themselves (the KYC tests do).
"""

from __future__ import annotations

import asyncio
import time

import httpx

from clients.api import CasinoClient

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF\n"
# The document that proves each level, named so a sandbox KYC vendor answers GREEN.
DOCUMENTS = {1: ("id", "passport.pdf"), 2: ("address", "utility-bill.pdf")}


class NotVerified(Exception):
    """The server did not raise the player to the level asked for."""


async def verify(
    client: CasinoClient, staff_token: str, level: int = 1, timeout_s: float = 10.0
) -> None:
    """Raise the logged-in player to `level` (1 identity, 2 address and source of funds),
    one level at a time; return once the server reports it. NotVerified when it does not."""
    for step in range(1, level + 1):
        if (await client.call("GET", "/api/kyc/status"))["level"] >= step:
            continue
        kind, filename = DOCUMENTS[step]
        uploaded = await client.http.post(
            "/api/kyc/documents",
            params={"kind": kind, "filename": filename},
            content=PDF,
            headers={"Authorization": f"Bearer {client.token}"},
        )
        if uploaded.status_code != 201:
            raise NotVerified(f"the {kind} document was refused: {uploaded.text}")
        me = await client.call("GET", "/api/me")
        async with httpx.AsyncClient(base_url=str(client.http.base_url)) as staff:
            approved = await staff.post(
                f"/api/staff/kyc/{me['player_id']}/approve",
                headers={"Authorization": f"Bearer {staff_token}"},
            )
        if approved.status_code not in (200, 409):  # 409: a vendor answered first
            raise NotVerified(f"staff approval was refused: {approved.text}")
        deadline = time.monotonic() + timeout_s
        while (await client.call("GET", "/api/kyc/status"))["level"] < step:
            if time.monotonic() > deadline:
                raise NotVerified(f"the player never reached KYC level {step}")
            await asyncio.sleep(0.05)
