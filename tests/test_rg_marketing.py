"""No marketing while a time-out or self-exclusion runs: the bonus engine lists no offer to
such a player and refuses their claim with PLAY_BLOCKED, granting nothing, while an ordinary
player on the same server is offered the same promotion."""

from __future__ import annotations

import pytest

from clients.api import ApiFailure, CasinoClient
from tests.conftest import ServerProcess
from tests.support.payments import player
from tests.test_bonus_engine import bonus_page, bonus_server, define, server, wallet

__all__ = ["bonus_server", "server"]


async def offered(client: CasinoClient) -> list[int]:
    return [int(o["id"]) for o in (await bonus_page(client))["offers"]]


async def test_an_ordinary_player_is_offered_the_promotion(server: ServerProcess) -> None:
    promo = await define(server, kind="no_deposit", trigger="manual", amount=100)
    async with await player(server.base_url) as client:
        assert promo in await offered(client)
        assert (await client.call("GET", "/api/rg"))["marketing_allowed"] is True


async def test_a_timed_out_player_is_offered_nothing(server: ServerProcess) -> None:
    await define(server, kind="no_deposit", trigger="manual", amount=100)
    async with await player(server.base_url) as client:
        await client.call("POST", "/api/rg/time-out", {"hours": 24})
        assert await offered(client) == []
        assert (await client.call("GET", "/api/rg"))["marketing_allowed"] is False


async def test_a_self_excluded_player_cannot_claim_and_is_granted_nothing(
    server: ServerProcess,
) -> None:
    promo = await define(server, kind="no_deposit", trigger="manual", amount=100)
    async with await player(server.base_url) as client:
        await client.call("POST", "/api/rg/self-exclusion", {"months": 6})
        with pytest.raises(ApiFailure) as refused:
            await client.call("POST", "/api/bonus/claim", {"definition_id": promo})
        assert (refused.value.status, refused.value.code) == (403, "PLAY_BLOCKED")
        assert (await bonus_page(client))["awards"] == []
        assert await wallet(server, client) == (0, 0)
