"""Responsible gambling on a real server: limits, exclusions and the UK profile, on our games
(WebSocket) and the provider API alike, each firing on a crafted player and not on others."""

from __future__ import annotations

import asyncio
from typing import Any

from clients.api import ApiFailure, CasinoClient
from tests.conftest import (
    STRONG_PASSWORD,
    ServerProcess,
    new_player,
    start_server,
    stop_server,
    unique,
)
from tests.support.kyc import verify_identity
from tests.support.provider import SANDBOX, Table, launch, sandbox_client, table

__all__ = ["table"]
SLOT = "classic-sevens"  # stakes are multiples of 5


async def put_limit(client: CasinoClient, kind: str, value: int | None) -> dict[str, Any]:
    result: dict[str, Any] = await client.call("PUT", f"/api/rg/limits/{kind}", {"value": value})
    return result


async def refused_code(call: Any) -> str:
    try:
        await call
    except ApiFailure as failure:
        return f"{failure.status} {failure.code}"
    return "accepted"


async def test_a_stake_past_the_loss_limit_is_refused_and_moves_nothing(
    casino: ServerProcess,
) -> None:
    client, _ = await new_player(casino.base_url, deposit=10_000)
    async with client:
        await put_limit(client, "loss_24h", 100)
        async with client.socket() as ws:
            await ws.hello(client.token or "")
            refused = await ws.spin(SLOT, 105)
            assert (refused["type"], refused["code"]) == ("error", "LOSS_LIMIT_REACHED")
            assert (await ws.balance())["balance"] == 10_000
            assert (await ws.spin(SLOT, 100))["type"] == "spin"


async def test_a_player_without_limits_is_not_refused(casino: ServerProcess) -> None:
    client, _ = await new_player(casino.base_url, deposit=10_000)
    async with client, client.socket() as ws:
        await ws.hello(client.token or "")
        replies = [await ws.spin(SLOT, 500) for _ in range(3)]
        assert [r["type"] for r in replies] == ["spin", "spin", "spin"]


async def test_many_sessions_at_once_never_take_net_losses_past_the_limit(
    casino: ServerProcess,
) -> None:
    client, _ = await new_player(casino.base_url, deposit=10_000)
    async with client:
        await put_limit(client, "loss_24h", 200)

        async def session() -> list[dict[str, Any]]:
            async with client.socket() as ws:
                await ws.hello(client.token or "")
                return [await ws.spin(SLOT, 50) for _ in range(5)]

        replies = [r for rs in await asyncio.gather(*(session() for _ in range(8))) for r in rs]
        taken = [r for r in replies if r["type"] == "spin"]
        refused = {r["code"] for r in replies if r["type"] == "error"}
        balance = (await client.call("GET", "/api/wallet"))["balance"]
        assert refused <= {"LOSS_LIMIT_REACHED"}  # wins may keep the net loss under it
        assert 10_000 - balance <= 200  # net loss within the limit, whatever won
        assert len(taken) >= 4
        assert len(taken) == 40 or refused == {"LOSS_LIMIT_REACHED"}


async def test_a_provider_bet_past_the_loss_limit_is_refused_in_its_vocabulary(
    table: Table,
) -> None:
    await put_limit(table.player, "loss_24h", 300)
    assert (await table.bet(300))["status"] == "RS_OK"
    over = await table.bet(100)
    assert (over["status"], await table.balance()) == ("RS_ERROR_LIMIT_REACHED", 9_700)


async def test_concurrent_provider_bets_take_exactly_what_the_loss_limit_allows(
    table: Table,
) -> None:
    await put_limit(table.player, "loss_24h", 200)
    bets = await asyncio.gather(*(table.bet(50) for _ in range(10)))
    statuses = sorted(bet["status"] for bet in bets)
    assert statuses == ["RS_ERROR_LIMIT_REACHED"] * 6 + ["RS_OK"] * 4
    assert await table.balance() == 9_800


async def test_a_win_counts_back_against_the_loss_limit(table: Table) -> None:
    await put_limit(table.player, "loss_24h", 300)
    bet = await table.bet(300)
    await table.win(bet["transaction_uuid"], 200, round_closed=True)
    table.round = unique("r")
    assert (await table.bet(200))["status"] == "RS_OK"


async def test_a_deposit_past_the_deposit_limit_is_refused_and_a_smaller_one_taken(
    casino: ServerProcess,
) -> None:
    client, _ = await new_player(casino.base_url)
    async with client:
        await put_limit(client, "deposit_24h", 1_000)
        await client.deposit(600, unique("d"))
        assert await refused_code(client.deposit(500, unique("d"))) == "403 DEPOSIT_LIMIT_REACHED"
        assert (await client.deposit(400, unique("d")))["balance"] == 1_000


async def test_a_lower_7_day_deposit_limit_caps_the_24_hour_window(casino: ServerProcess) -> None:
    client, _ = await new_player(casino.base_url)
    async with client:
        await put_limit(client, "deposit_24h", 5_000)
        await put_limit(client, "deposit_7d", 1_000)
        assert await refused_code(client.deposit(1_500, unique("d"))) == "403 DEPOSIT_LIMIT_REACHED"


async def test_a_raised_limit_waits_and_cannot_be_confirmed_early(casino: ServerProcess) -> None:
    client, _ = await new_player(casino.base_url)
    async with client:
        await put_limit(client, "deposit_24h", 1_000)
        raised = await client.http.put(
            "/api/rg/limits/deposit_24h",
            json={"value": 9_000},
            headers={"Authorization": f"Bearer {client.token}"},
        )
        body = raised.json()
        assert (raised.status_code, body["value"], body["pending"]["value"]) == (202, 1_000, 9_000)
        confirm = client.call("POST", "/api/rg/limits/deposit_24h/confirm")
        assert await refused_code(confirm) == "409 RG_LIMIT_NOT_DUE"
        assert await refused_code(client.deposit(1_500, unique("d"))) == "403 DEPOSIT_LIMIT_REACHED"


async def test_the_first_deposit_carries_the_limit_prompt_and_the_second_not(
    casino: ServerProcess,
) -> None:
    client, _ = await new_player(casino.base_url)
    async with client:
        first = await client.deposit(100, unique("d"))
        second = await client.deposit(100, unique("d"))
        assert (first["limit_prompt"], second["limit_prompt"]) == (True, False)


async def test_self_exclusion_ends_open_sessions_and_blocks_every_path_but_withdrawal(
    casino: ServerProcess,
) -> None:
    client, player = await new_player(casino.base_url, deposit=10_000)
    async with client:
        provider = sandbox_client(casino)
        session = await provider.open_session(await launch(client, SANDBOX, "sandbox-fruits"))
        seat = Table(provider, client, session)
        async with client.socket() as ws:
            await ws.hello(client.token or "")
            started = await client.call("POST", "/api/rg/self-exclusion", {"months": 6})
            assert started["exclusion"]["kind"] == "self_exclusion"
            push = await ws.next_push()
            while push["type"] != "forced_logout":
                push = await ws.next_push()
            assert push == {"type": "forced_logout", "reason": "self_exclusion"}
        async with client.socket() as ws:
            await ws.hello(client.token or "")
            assert (await ws.spin(SLOT, 5))["code"] == "PLAY_BLOCKED"
        assert (await seat.bet(100))["status"] == "RS_ERROR_USER_DISABLED"
        await provider.aclose()
        assert await refused_code(client.deposit(100, unique("d"))) == "403 PLAY_BLOCKED"
        await client.login(str(player["username"]), STRONG_PASSWORD)  # login stays open
        overview = await client.call("GET", "/api/rg")
        assert (overview["exclusion"]["kind"], overview["marketing_allowed"]) == (
            "self_exclusion",
            False,
        )


async def test_an_exclusion_cannot_be_shortened(casino: ServerProcess) -> None:
    client, _ = await new_player(casino.base_url)
    async with client:
        await client.call("POST", "/api/rg/self-exclusion", {"months": 12})
        shorter = client.call("POST", "/api/rg/time-out", {"hours": 24})
        assert await refused_code(shorter) == "409 RG_ALREADY_EXCLUDED"


async def test_a_self_exclusion_shorter_than_6_months_is_invalid(casino: ServerProcess) -> None:
    client, _ = await new_player(casino.base_url)
    async with client:
        short = client.call("POST", "/api/rg/self-exclusion", {"months": 5})
        assert await refused_code(short) == "422 VALIDATION_FAILED"


async def uk_player(casino: ServerProcess, born: str) -> CasinoClient:
    client = CasinoClient(casino.base_url)
    name = unique("uk_")
    await client.register(
        email=f"{name}@example.com", username=name, password=STRONG_PASSWORD,
        date_of_birth=born, country="GB", currency="GBP",
    )  # fmt: skip
    await client.login(name, STRONG_PASSWORD)
    await verify_identity(client)  # a deposit in Great Britain needs a verified identity
    await client.deposit(10_000, unique("d"))
    return client


async def test_uk_caps_a_20_year_olds_slot_stake_at_gbp_2(casino: ServerProcess) -> None:
    async with await uk_player(casino, "2005-01-01") as client, client.socket() as ws:
        await ws.hello(client.token or "")
        over = await ws.spin(SLOT, 205)
        assert over["code"] == "STAKE_ABOVE_PROFILE_CAP"
        assert (await client.call("GET", "/api/wallet"))["balance"] == 10_000
        assert (await ws.spin(SLOT, 200))["type"] == "spin"


async def test_uk_refuses_a_slot_cycle_sooner_than_2_5_s_after_the_last(
    casino: ServerProcess,
) -> None:
    async with await uk_player(casino, "1980-01-01") as client, client.socket() as ws:
        await ws.hello(client.token or "")
        assert (await ws.spin(SLOT, 500))["type"] == "spin"
        too_soon = await ws.spin(SLOT, 5)
        assert too_soon["code"] == "GAME_CYCLE_TOO_SOON"
        await asyncio.sleep(2.6)
        assert (await ws.spin(SLOT, 5))["type"] == "spin"


async def test_a_player_of_the_default_profile_plays_back_to_back(casino: ServerProcess) -> None:
    client, _ = await new_player(casino.base_url, deposit=10_000)
    async with client, client.socket() as ws:
        await ws.hello(client.token or "")
        assert [(await ws.spin(SLOT, 1_000))["type"] for _ in range(2)] == ["spin", "spin"]


async def test_a_reality_check_ack_with_no_check_showing_is_answered_and_play_goes_on(
    casino: ServerProcess,
) -> None:
    client, _ = await new_player(casino.base_url, deposit=1_000)
    async with client:
        await put_limit(client, "reality_check_seconds", 1800)
        async with client.socket() as ws:
            await ws.hello(client.token or "")
            assert (await ws.request("reality_check_ack"))["type"] == "reality_check_ack"
            assert (await ws.spin(SLOT, 5))["type"] == "spin"


async def test_a_uk_players_balance_push_carries_the_sessions_figures(
    casino: ServerProcess,
) -> None:
    async with await uk_player(casino, "1980-01-01") as client, client.socket() as ws:
        await ws.hello(client.token or "")
        await client.deposit(100, unique("d"))
        push = await ws.next_push()
        while push["type"] != "balance_changed":
            push = await ws.next_push()
        assert push["balance"] == 10_100
        assert push["session"]["net"] == 0 and push["session"]["elapsed_ms"] >= 0


async def test_two_server_processes_at_once_never_take_net_losses_past_the_limit(
    casino: ServerProcess,
) -> None:
    second = start_server(casino.workdir, casino.redis)
    try:
        client, _ = await new_player(casino.base_url, deposit=10_000)
        async with client, CasinoClient(second.base_url) as other:
            other.token = client.token
            await put_limit(client, "loss_24h", 200)

            async def session(via: CasinoClient) -> list[dict[str, Any]]:
                async with via.socket() as ws:
                    await ws.hello(client.token or "")
                    return [await ws.spin(SLOT, 50) for _ in range(5)]

            runs = await asyncio.gather(*(session(c) for c in (client, other) * 3))
            replies = [r for rs in runs for r in rs]
            refused = {r["code"] for r in replies if r["type"] == "error"}
            balance = (await client.call("GET", "/api/wallet"))["balance"]
            assert refused <= {"LOSS_LIMIT_REACHED"}  # wins may keep the net loss under it
            assert 10_000 - balance <= 200
    finally:
        stop_server(second)


async def test_a_time_out_blocks_stakes_and_deposits(casino: ServerProcess) -> None:
    client, _ = await new_player(casino.base_url, deposit=1_000)
    async with client:
        started = await client.call("POST", "/api/rg/time-out", {"hours": 24})
        assert started["exclusion"]["kind"] == "time_out"
        async with client.socket() as ws:
            await ws.hello(client.token or "")
            assert (await ws.spin(SLOT, 5))["code"] == "PLAY_BLOCKED"
        assert await refused_code(client.deposit(100, unique("d"))) == "403 PLAY_BLOCKED"
