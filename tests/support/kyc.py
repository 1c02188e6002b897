"""A player verified to KYC level 1 (or 2) the way an operator's staff would do it
(clients/verification.py), with this suite's staff token. For tests whose subject needs a
verified player (withdrawals, deposits in GB or above EUR 2,000); the KYC tests prove the
checks themselves."""

from __future__ import annotations

import rng
from clients import verification
from clients.api import CasinoClient

STAFF_TOKEN = rng.token_urlsafe(24)  # set as CASINO_STAFF_TOKEN on every test server


async def verify_identity(client: CasinoClient, staff_token: str = STAFF_TOKEN) -> None:
    """Level 1: an identity document uploaded and approved; return once it is reached."""
    await verification.verify(client, staff_token, 1)


async def verify_address(client: CasinoClient, staff_token: str = STAFF_TOKEN) -> None:
    """Level 2 (address and source of funds), which a deposit above EUR 2,000 needs."""
    await verification.verify(client, staff_token, 2)
